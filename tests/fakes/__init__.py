"""Local stand-ins for the services the product talks to, speaking their wire formats."""
