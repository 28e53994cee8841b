"""The Miinto partner API client library: signing, payload schemas, the client, and a simulator in `sandbox/`.

No Django models here; this package is the only place in the project that knows Miinto's wire format.
Import from the modules (`miinto.client`, `miinto.schemas`, ...): this file stays empty so that loading the
simulator never loads the client's signing code, which the simulator must not share.
"""
