"""The REST API (/api/v1/): one router per domain; problem+json errors."""
