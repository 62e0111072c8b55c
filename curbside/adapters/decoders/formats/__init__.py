"""Every shipped payload format. Importing this package registers them all.

Adding a format: write one module here that calls ``registry.register(...)`` at import,
then import it below. A test fails if a module here is not registered.
"""

from curbside.adapters.decoders.formats import chirpstack, native, tts

__all__ = ["chirpstack", "native", "tts"]
