"""Finnish, Swedish and English text knowledge shared by extraction and dedupe: place names,
lexicons, status words, the one language detector, the one text cleaner."""
