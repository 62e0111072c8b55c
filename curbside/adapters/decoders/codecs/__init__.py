"""Device codecs: one sensor model's payload each, chosen by the model the registry names.

The catalogue below is explicit; a test checks it covers every model the registry accepts.
"""

from __future__ import annotations

from collections.abc import Mapping

from curbside.adapters.decoders.codecs.bosch import BOSCH
from curbside.adapters.decoders.codecs.measurement import DeviceCodec
from curbside.adapters.decoders.codecs.milesight import EM310, EM400
from curbside.adapters.decoders.codecs.nwave import NWAVE
from curbside.vocabulary.devices import SensorModel

CODECS: Mapping[SensorModel, DeviceCodec] = {
    codec.model: codec for codec in (EM310, EM400, BOSCH, NWAVE)
}
