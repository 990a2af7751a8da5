"""Talking to Ghost's Admin API: tokens, requests, retries and errors."""
