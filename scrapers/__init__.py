"""Gathering: extractors (pure), normalisation (pure), Scrapy spiders and the store pipeline."""
