"""Data sources for the book: seeded, exact where possible, validated against closed forms."""
