"""Layer 0: plain data every layer speaks: readings, rejections, devices, alerts, tariffs,
workday calendars."""
