// MeshTransport — see README.md#architecture
