"""Payload decoders: bytes on a topic in, readings out. One module per format, registered.

Use :func:`decoders.registry.decoder_for` after importing :mod:`decoders.formats`, which
registers every shipped format.
"""
