"""The Discord layer: a thin shell over the engine, the reply model and the store."""
