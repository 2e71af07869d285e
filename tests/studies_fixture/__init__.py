"""A small study with closed-form results, for the tests of the studies framework."""
