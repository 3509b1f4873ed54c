"""Zadarma numbers bot: order and manage virtual phone numbers from chat."""

__version__ = "0.1.0"
