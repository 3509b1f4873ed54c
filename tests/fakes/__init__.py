"""Test doubles of outside services (served on 127.0.0.1)."""
