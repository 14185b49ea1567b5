"""Network adapters for notification delivery: HTTP (webhooks, chat) and SMTP (e-mail)."""
