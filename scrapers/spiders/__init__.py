"""Spiders. `SourceSpider` reads every generic kind through the extractors."""
