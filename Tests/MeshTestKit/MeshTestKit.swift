import MeshCore
import MeshWire

/// MeshTestKit: manual clock, seeded randomness, fixtures, in-memory network, process harness.
public enum MeshTestKit {}
