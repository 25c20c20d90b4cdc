using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;

namespace Rekey.Server.Secrets;

/// <summary>One wrapping of a data key: the key sealed (AES-256-GCM) under the master key <see cref="MasterKeyId"/>.</summary>
internal sealed record DataKeyWrap(string MasterKeyId, byte[] Wrapped, long CreatedAt)
{
    public override string ToString() => $"DataKeyWrap {{ MasterKeyId = {MasterKeyId} }}";
}

/// <summary>A data key as stored: its wrappings, each of which opens it with one master key.</summary>
internal sealed record WrappedDataKey(string KeyId, long CreatedAt, IReadOnlyList<DataKeyWrap> Wraps)
{
    public override string ToString() => $"WrappedDataKey {{ KeyId = {KeyId}, MasterKeys = {string.Join(",", Wraps.Select(w => w.MasterKeyId))} }}";
}

/// <summary>A value as stored: the ID of the data key that sealed it, nonce‖ciphertext‖tag, and (for secrets) its HMAC digest.</summary>
internal sealed record SealedSecret(string KeyId, byte[] Ciphertext, byte[] Digest)
{
    public override string ToString() => $"SealedSecret {{ KeyId = {KeyId} }}";
}

/// <summary>
/// Envelope encryption of everything secret Rekey stores. Data keys (random, 256-bit) live in the database, each
/// wrapped under one or more master keys from configuration or the key file; every node of a deployment therefore
/// sees a new data key as soon as one node adds it, and changing the master key only adds and removes wrappings
/// (<see cref="KeyPlans"/>). A secret is sealed
/// with AES-256-GCM under the current data key; the associated data binds the ciphertext to its service, client and
/// secret ID, so a ciphertext copied to another row does not decrypt. Beside it an HMAC-SHA256 digest under a key
/// derived (HKDF) from the same data key, over the same associated data and the secret, lets verification run in
/// microseconds and in constant time, and does not verify on another row either.
/// </summary>
internal sealed class SecretCipher(KeyRing masters)
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int KeySize = 32;

    /// <summary>An ID as long as the longest real one (IDs are below 2^53), so a decoy hashes as many bytes.</summary>
    private const long DecoyId = (1L << 53) - 1;

    private static readonly byte[] DecoyDigest = new byte[32];

    /// <summary>What a decoy opening decrypts: as long as a sealed secret of the longest length (86 characters); it never authenticates.</summary>
    private static readonly byte[] DecoySealed = new byte[NonceSize + 86 + TagSize];

    /// <summary>
    /// A loaded data key: its two derived keys, and the HMAC instances of its digest key that verification reuses.
    /// A one-shot HMAC sets OpenSSL's MAC context up anew on every call, which cost two to five times the hashing
    /// itself (bench/Rekey.Bench.Micro, SecretVerification); an instance keeps the keyed context and only resets it.
    /// </summary>
    private sealed class DataKey(string id, long createdAt, byte[] encryptionKey, byte[] digestKey, byte[] lookupKey)
    {
        private readonly System.Collections.Concurrent.ConcurrentBag<IncrementalHash> _hmacs = [];

        private readonly System.Collections.Concurrent.ConcurrentBag<IncrementalHash> _lookups = [];

        public string Id => id;

        public long CreatedAt => createdAt;

        public byte[] EncryptionKey => encryptionKey;

        public bool SameMaterialAs(DataKey other) =>
            CryptographicOperations.FixedTimeEquals(encryptionKey, other.EncryptionKey) && CryptographicOperations.FixedTimeEquals(digestKey, other.DigestKey);

        private byte[] DigestKey => digestKey;

        /// <summary>HMAC-SHA256 of associated data ‖ 0x00 ‖ secret: the NUL never occurs in the associated data, so the split is unambiguous.</summary>
        public byte[] Digest(byte[] associatedData, string secret) => Hmac(_hmacs, digestKey, associatedData, secret);

        /// <summary>The lookup digest (<see cref="SecretCipher.LookupDigest"/>): HMAC-SHA256 under the lookup key of a fixed label ‖ 0x00 ‖ secret.</summary>
        public byte[] LookupDigest(string secret) => Hmac(_lookups, lookupKey, LookupLabel, secret);

        private static byte[] Hmac(System.Collections.Concurrent.ConcurrentBag<IncrementalHash> pool, byte[] key, byte[] associatedData, string secret)
        {
            var length = Encoding.UTF8.GetByteCount(secret);
            Span<byte> bytes = length <= 256 ? stackalloc byte[256] : new byte[length];
            bytes = bytes[..Encoding.UTF8.GetBytes(secret, bytes)];
            var hmac = pool.TryTake(out var idle) ? idle : IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
            try
            {
                hmac.AppendData(associatedData);
                hmac.AppendData([0]);
                hmac.AppendData(bytes);
                var digest = hmac.GetHashAndReset();
                pool.Add(hmac);
                return digest;
            }
            catch
            {
                hmac.Dispose();
                throw;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(bytes);
            }
        }

        /// <summary>
        /// AES-256-GCM under this key's encryption key, with a pooled cipher instance: setting up OpenSSL's context for
        /// every seal and open was a measurable share of a secret update (bench/Rekey.Bench.Micro, StoreWrites).
        /// </summary>
        public byte[] Encrypt(byte[] plaintext, byte[] associatedData)
        {
            var aes = _aes.TryTake(out var idle) ? idle : new AesGcm(encryptionKey, TagSize);
            try
            {
                var sealedBytes = SecretCipher.Encrypt(aes, plaintext, associatedData);
                _aes.Add(aes);
                return sealedBytes;
            }
            catch
            {
                aes.Dispose();
                throw;
            }
        }

        public byte[]? Decrypt(byte[] sealedBytes, byte[] associatedData)
        {
            var aes = _aes.TryTake(out var idle) ? idle : new AesGcm(encryptionKey, TagSize);
            try
            {
                var plaintext = SecretCipher.Decrypt(aes, sealedBytes, associatedData);
                _aes.Add(aes);
                return plaintext;
            }
            catch
            {
                aes.Dispose();
                throw;
            }
        }

        private readonly System.Collections.Concurrent.ConcurrentBag<AesGcm> _aes = [];

        public override string ToString() => $"DataKey {{ Id = {id} }}";
    }

    private static readonly byte[] LookupLabel = "rekey/secret-lookup"u8.ToArray();

    private readonly Lock _loadLock = new();

    private volatile Ring _ring = new(ImmutableDictionary.Create<string, DataKey>(StringComparer.Ordinal), null, null);

    /// <summary>The loaded data keys, the newest (<see cref="Current"/>) and the oldest, whose lookup key finds secrets by value.</summary>
    private sealed record Ring(ImmutableDictionary<string, DataKey> Keys, DataKey? Current, DataKey? Oldest);

    public KeyRing Masters => masters;

    public string? CurrentKeyId => _ring.Current?.Id;

    public bool Knows(string keyId) => _ring.Keys.ContainsKey(keyId);

    public static byte[] AssociatedData(long serviceId, long clientId, long secretId) =>
        Encoding.UTF8.GetBytes($"rekey/client-secret/{serviceId}/{clientId}/{secretId}");

    public static byte[] WebhookAssociatedData(long serviceId, long webhookId) =>
        Encoding.UTF8.GetBytes($"rekey/webhook-secret/{serviceId}/{webhookId}");

    public static byte[] SigningKeyAssociatedData(long serviceId, string keyId) =>
        Encoding.UTF8.GetBytes($"rekey/signing-key/{serviceId}/{keyId}");

    // ---- data keys ----------------------------------------------------------------------------------

    /// <summary>A fresh data key wrapped under each of <paramref name="under"/>.</summary>
    public static WrappedDataKey NewDataKey(long now, IReadOnlyCollection<MasterKey> under)
    {
        if (under.Count == 0)
        {
            throw new ArgumentException("A data key needs at least one master key to wrap it.", nameof(under));
        }

        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var material = RandomNumberGenerator.GetBytes(KeySize);
        try
        {
            return new WrappedDataKey(id, now, [.. under.Select(m => Wrap(id, material, m, now))]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }
    }

    /// <summary>A fresh data key wrapped under every master key of this node (tests and the first start of a database).</summary>
    public WrappedDataKey NewDataKey(long now) => NewDataKey(now, masters.Keys);

    /// <summary>Another wrapping of <paramref name="key"/>, under <paramref name="master"/> (an explicit rewrap).</summary>
    public DataKeyWrap AddWrap(WrappedDataKey key, MasterKey master, long now)
    {
        var material = Unwrap(key);
        try
        {
            return Wrap(key.KeyId, material, master, now);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }
    }

    /// <summary>Does <paramref name="master"/> open this wrapping? (A migrated master key has no check value yet.)</summary>
    public static bool Opens(MasterKey master, string dataKeyId, DataKeyWrap wrap)
    {
        var material = Decrypt(master.WrappingKey, wrap.Wrapped, WrapAad(dataKeyId));
        if (material is null)
        {
            return false;
        }

        CryptographicOperations.ZeroMemory(material);
        return true;
    }

    /// <summary>
    /// Adds <paramref name="keys"/> to the ring (a key already loaded stays, with its HMAC instances, when the reloaded
    /// copy has the same material, and is replaced otherwise); the newest becomes current. Data keys are never deleted, so nothing is dropped: a periodic reload whose read started
    /// before a rotation committed, and which finishes after the rotation loaded its key, cannot take that key away
    /// again. Only committed keys may be passed in.
    /// </summary>
    public void Load(IEnumerable<WrappedDataKey> keys)
    {
        var loaded = keys.Select(k =>
        {
            var material = Unwrap(k);
            var derived = new DataKey(k.KeyId, k.CreatedAt,
                HKDF.DeriveKey(HashAlgorithmName.SHA256, material, KeySize, salt: [], info: "rekey/v1/aes-256-gcm"u8.ToArray()),
                HKDF.DeriveKey(HashAlgorithmName.SHA256, material, KeySize, salt: [], info: "rekey/v1/hmac-sha256/secret-digest"u8.ToArray()),
                HKDF.DeriveKey(HashAlgorithmName.SHA256, material, KeySize, salt: [], info: "rekey/v1/hmac-sha256/secret-lookup"u8.ToArray()));
            CryptographicOperations.ZeroMemory(material);
            return derived;
        }).ToList();
        lock (_loadLock)
        {
            var keep = _ring.Keys;
            var merged = keep.SetItems(loaded.Select(k => KeyValuePair.Create(k.Id, keep.GetValueOrDefault(k.Id) is { } had && had.SameMaterialAs(k) ? had : k)));
            var current = merged.Values.OrderByDescending(k => k.CreatedAt).ThenByDescending(k => k.Id, StringComparer.Ordinal).FirstOrDefault();
            var oldest = merged.Values.OrderBy(k => k.CreatedAt).ThenBy(k => k.Id, StringComparer.Ordinal).FirstOrDefault();
            _ring = new Ring(merged, current, oldest);
        }
    }

    private static DataKeyWrap Wrap(string id, byte[] material, MasterKey master, long now) =>
        new(master.Id, Encrypt(master.WrappingKey, material, WrapAad(id)), now);

    /// <summary>The key material, through the first wrapping whose master key this node has.</summary>
    private byte[] Unwrap(WrappedDataKey key)
    {
        foreach (var wrap in key.Wraps)
        {
            if (masters.Find(wrap.MasterKeyId) is { } master)
            {
                return Decrypt(master.WrappingKey, wrap.Wrapped, WrapAad(key.KeyId))
                    ?? throw new SecretDecryptionException($"The data key '{key.KeyId}' does not unwrap under the master key '{wrap.MasterKeyId}': that ID is configured with other key material.");
            }
        }

        throw new SecretDecryptionException(
            $"The data key '{key.KeyId}' is wrapped under the master key(s) {string.Join(", ", key.Wraps.Select(w => $"'{w.MasterKeyId}'"))}, none of which is configured here.");
    }

    private static byte[] WrapAad(string keyId) => Encoding.UTF8.GetBytes($"rekey/data-key/{keyId}");

    // ---- values -------------------------------------------------------------------------------------

    private DataKey Current => _ring.Current ?? throw new InvalidOperationException("No data key is loaded; the store has not been initialised.");

    public SealedSecret Seal(string secret, byte[] associatedData)
    {
        var key = Current;
        var plaintext = Encoding.UTF8.GetBytes(secret);
        var sealedBytes = key.Encrypt(plaintext, associatedData);
        CryptographicOperations.ZeroMemory(plaintext);
        return new SealedSecret(key.Id, sealedBytes, Digest(key, associatedData, secret));
    }

    public string Open(string keyId, byte[] sealedBytes, byte[] associatedData)
    {
        var key = _ring.Keys.GetValueOrDefault(keyId)
            ?? throw new SecretDecryptionException($"The data key '{keyId}' that sealed {Describe(associatedData)} is unknown.");
        var plaintext = key.Decrypt(sealedBytes, associatedData)
            ?? throw new SecretDecryptionException($"The stored value {Describe(associatedData)} failed authentication: it was altered or belongs to another row.");
        return Encoding.UTF8.GetString(plaintext);
    }

    /// <summary>
    /// The UTF-8 bytes of a sealed secret, for client_secret_jwt (the HMAC key of the assertion), or null when its
    /// data key is unknown or it does not authenticate. The caller zeroes the bytes after use.
    /// </summary>
    public byte[]? TryOpenBytes(string keyId, byte[] sealedBytes, byte[] associatedData) =>
        _ring.Keys.GetValueOrDefault(keyId) is { } key ? key.Decrypt(sealedBytes, associatedData) : Current.Decrypt(DecoySealed, associatedData);

    /// <summary>Burns the cost of one <see cref="TryOpenBytes"/> without a sealed value (unknown client, empty slot); always null.</summary>
    public byte[]? OpenNothing(long serviceId) => Current.Decrypt(DecoySealed, AssociatedData(serviceId, DecoyId, DecoyId));

    /// <summary>The row a value belongs to (the associated data holds IDs only), for operators reading the log.</summary>
    private static string Describe(byte[] associatedData) => Encoding.UTF8.GetString(associatedData);

    /// <summary>
    /// Constant-time check of <paramref name="presented"/> against a stored digest. The digest is bound to the row by
    /// the same associated data as the ciphertext, so a digest copied to another client's row matches nothing there.
    /// An unknown key ID still costs one HMAC, so the time does not tell whether anything was found.
    /// </summary>
    public bool Matches(string keyId, byte[] storedDigest, string presented, byte[] associatedData)
    {
        var key = _ring.Keys.GetValueOrDefault(keyId) ?? Current;
        var digest = Digest(key, associatedData, presented);
        return CryptographicOperations.FixedTimeEquals(digest, storedDigest) && key.Id == keyId;
    }

    /// <summary>Burns the cost of one <see cref="Matches"/> without a stored digest (unknown client, empty slot); always false.</summary>
    public bool MatchNothing(long serviceId, string presented)
    {
        var digest = Digest(Current, AssociatedData(serviceId, DecoyId, DecoyId), presented);
        CryptographicOperations.FixedTimeEquals(digest, DecoyDigest);
        return false;
    }

    private static byte[] Digest(DataKey key, byte[] associatedData, string secret) => key.Digest(associatedData, secret);

    /// <summary>
    /// The digest that finds a secret by its value alone (leak reports): HMAC-SHA256 under the lookup key, bound to no
    /// service, client or secret ID, so one computation finds the value wherever it is. The lookup key is derived (HKDF,
    /// its own label) from the database's first data key: data keys are never deleted, so it is the same on every node
    /// and after every data key rotation, and the master keys protect it like every data key. (A lookup key that
    /// changed could not recompute the digests of previous secrets: their values are not kept.) It is never used for
    /// anything else, and the digest verifies nothing: a match is confirmed with the client's own digest.
    /// </summary>
    public byte[] LookupDigest(string secret) =>
        (_ring.Oldest ?? throw new InvalidOperationException("No data key is loaded; the store has not been initialised.")).LookupDigest(secret);

    private static byte[] Encrypt(byte[] key, byte[] plaintext, byte[] associatedData)
    {
        using var aes = new AesGcm(key, TagSize);
        return Encrypt(aes, plaintext, associatedData);
    }

    private static byte[] Encrypt(AesGcm aes, byte[] plaintext, byte[] associatedData)
    {
        var output = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        aes.Encrypt(nonce, plaintext, output.AsSpan(NonceSize, plaintext.Length), output.AsSpan(NonceSize + plaintext.Length), associatedData);
        return output;
    }

    private static byte[]? Decrypt(byte[] key, byte[] sealedBytes, byte[] associatedData)
    {
        using var aes = new AesGcm(key, TagSize);
        return Decrypt(aes, sealedBytes, associatedData);
    }

    private static byte[]? Decrypt(AesGcm aes, byte[] sealedBytes, byte[] associatedData)
    {
        if (sealedBytes.Length < NonceSize + TagSize)
        {
            return null;
        }

        var length = sealedBytes.Length - NonceSize - TagSize;
        var plaintext = new byte[length];
        try
        {
            aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize, length), sealedBytes.AsSpan(NonceSize + length), plaintext, associatedData);
            return plaintext;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }
}
