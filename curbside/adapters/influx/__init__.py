"""The InfluxDB adapter: line protocol, the schema of stored readings, and a v1 HTTP client."""
