// MeshCrypto — see README.md#architecture
