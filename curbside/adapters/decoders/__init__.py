"""Payload decoders: bytes on a topic in, readings out. One module per format, registered.

Use :func:`curbside.adapters.decoders.registry.decoder_for` after importing
:mod:`curbside.adapters.decoders.formats`, which
registers every shipped format.
"""
