"""Assets: QR tokens for the label on the equipment."""
