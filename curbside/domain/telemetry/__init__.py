"""What sensors say, as plain data: the readings every edge of Curbside speaks."""
