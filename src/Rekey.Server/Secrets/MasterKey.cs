using System.Security.Cryptography;

namespace Rekey.Server.Secrets;

/// <summary>
/// One master key (key-encryption key). It never touches a secret: it only wraps the data keys kept in the
/// database, through a wrapping key derived from it with HKDF-SHA256. Its check value, derived the same way under
/// another label, is stored in the database, so that a key with a known ID but other material is recognised at start
/// instead of being used.
/// </summary>
internal sealed class MasterKey
{
    public MasterKey(string id, byte[] material)
    {
        if (material.Length != 32)
        {
            throw new ArgumentException("A master key must be 32 bytes (256 bits).", nameof(material));
        }

        Id = id;
        WrappingKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, material, 32, salt: [], info: "rekey/v1/data-key-wrap"u8.ToArray());
        CheckValue = HKDF.DeriveKey(HashAlgorithmName.SHA256, material, 32, salt: [], info: "rekey/v1/master-key-check"u8.ToArray());
    }

    public string Id { get; }

    public byte[] WrappingKey { get; }

    /// <summary>Identifies the key material without revealing it (an HKDF output under its own label).</summary>
    public byte[] CheckValue { get; }

    public bool HasCheckValue(byte[] stored) => CryptographicOperations.FixedTimeEquals(CheckValue, stored);

    public override string ToString() => $"MasterKey {{ Id = {Id} }}";
}
