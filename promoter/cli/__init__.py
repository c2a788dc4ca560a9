"""The command line: the outermost shell. Settings are read here and passed down."""
