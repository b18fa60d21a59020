"""The API of each service, one module per service: requests, replies and operations."""
