"""Turning a case run into text, attachments and files people act on."""
