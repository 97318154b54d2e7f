// MeshMembership — see README.md#architecture
