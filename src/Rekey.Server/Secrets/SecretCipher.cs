using System.Security.Cryptography;
using System.Text;

namespace Rekey.Server.Secrets;

/// <summary>A secret as stored: the ID of the key that sealed it, nonce‖ciphertext‖tag, and its HMAC digest.</summary>
internal sealed record SealedSecret(string KeyId, byte[] Ciphertext, byte[] Digest)
{
    public override string ToString() => $"SealedSecret {{ KeyId = {KeyId} }}";
}

/// <summary>A ciphertext that does not open: wrong key, tampered bytes, or a row copied to another client.</summary>
internal sealed class SecretDecryptionException(string message) : Exception(message);

/// <summary>
/// AES-256-GCM encryption of stored secrets. The associated data binds each ciphertext to its service, client and
/// secret ID, so a ciphertext copied to another row does not decrypt. Beside it an HMAC-SHA256 digest under a
/// separate derived key lets verification run in microseconds and in constant time.
/// </summary>
internal sealed class SecretCipher(KeyRing ring)
{
    private const int NonceSize = 12;
    private const int TagSize = 16;

    public KeyRing Ring => ring;

    public static byte[] AssociatedData(long serviceId, long clientId, long secretId) =>
        Encoding.UTF8.GetBytes($"rekey/client-secret/{serviceId}/{clientId}/{secretId}");

    public SealedSecret Seal(string secret, byte[] associatedData)
    {
        var key = ring.Current;
        var plaintext = Encoding.UTF8.GetBytes(secret);
        var output = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(key.EncryptionKey, TagSize))
        {
            aes.Encrypt(nonce, plaintext, output.AsSpan(NonceSize, plaintext.Length), output.AsSpan(NonceSize + plaintext.Length), associatedData);
        }

        CryptographicOperations.ZeroMemory(plaintext);
        return new SealedSecret(key.Id, output, Digest(key, secret));
    }

    public string Open(string keyId, byte[] sealedBytes, byte[] associatedData)
    {
        var key = ring.Find(keyId) ?? throw new SecretDecryptionException($"The key '{keyId}' that sealed a stored secret is not in the key ring.");
        if (sealedBytes.Length < NonceSize + TagSize)
        {
            throw new SecretDecryptionException("A stored secret is truncated.");
        }

        var length = sealedBytes.Length - NonceSize - TagSize;
        var plaintext = new byte[length];
        try
        {
            using var aes = new AesGcm(key.EncryptionKey, TagSize);
            aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize, length), sealedBytes.AsSpan(NonceSize + length), plaintext, associatedData);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new SecretDecryptionException("A stored secret failed authentication: it was altered or belongs to another row.");
        }

        return Encoding.UTF8.GetString(plaintext);
    }

    public static byte[] Digest(MasterKey key, string secret) =>
        HMACSHA256.HashData(key.DigestKey, Encoding.UTF8.GetBytes(secret));
}
