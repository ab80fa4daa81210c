"""Users (email sign-in), API tokens."""
