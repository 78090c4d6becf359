"""Bridgenote: a bilingual (中文 / English) social network of lifestyle notes."""

__version__ = "0.1.0"
