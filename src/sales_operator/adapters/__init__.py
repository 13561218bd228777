"""Adapters: small protocols with embedded defaults, vendor clients at the edge."""
