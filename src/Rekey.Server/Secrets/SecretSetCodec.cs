using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Rekey.Server.Secrets;

/// <summary>
/// The stored form of a <see cref="SecretSet"/> (column <c>clients.secrets</c>): small and fast to read on every
/// client authentication. Layout, little-endian: a version byte (1), an entry count, then per entry the secret ID (8),
/// the state (1), the creation time (8), a byte of flags saying which of the optional fields follow, and those fields:
/// expiry, valid-until and revocation times (8 each), the hint and the data key ID (a length byte and UTF-8), the
/// ciphertext (a two-byte length) and the digest (a length byte). A set that does not decode is an unreadable stored
/// value (<see cref="SecretDecryptionException"/>), never a guess.
/// </summary>
internal static class SecretSetCodec
{
    private const byte Version = 1;

    [Flags]
    private enum Fields : byte
    {
        None = 0,
        ExpiresAt = 1,
        ValidUntil = 2,
        RevokedAt = 4,
        Hint = 8,
        KeyId = 16,
        Ciphertext = 32,
        Digest = 64,
    }

    public static byte[] Encode(SecretSet set)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + (set.Entries.Count * 96));
        Write(buffer, Version);
        Write(buffer, checked((byte)set.Entries.Count));
        foreach (var e in set.Entries)
        {
            WriteLong(buffer, e.SecretId);
            Write(buffer, checked((byte)e.State));
            WriteLong(buffer, e.CreatedAt);
            var fields = (e.ExpiresAt is null ? 0 : Fields.ExpiresAt) | (e.ValidUntil is null ? 0 : Fields.ValidUntil) | (e.RevokedAt is null ? 0 : Fields.RevokedAt)
                | (e.Hint is null ? 0 : Fields.Hint) | (e.KeyId is null ? 0 : Fields.KeyId) | (e.Ciphertext is null ? 0 : Fields.Ciphertext) | (e.Digest is null ? 0 : Fields.Digest);
            Write(buffer, (byte)fields);
            WriteOptional(buffer, e.ExpiresAt);
            WriteOptional(buffer, e.ValidUntil);
            WriteOptional(buffer, e.RevokedAt);
            WriteText(buffer, e.Hint);
            WriteText(buffer, e.KeyId);
            if (e.Ciphertext is { } ciphertext)
            {
                var length = buffer.GetSpan(2);
                BinaryPrimitives.WriteUInt16LittleEndian(length, checked((ushort)ciphertext.Length));
                buffer.Advance(2);
                buffer.Write(ciphertext);
            }

            if (e.Digest is { } digest)
            {
                Write(buffer, checked((byte)digest.Length));
                buffer.Write(digest);
            }
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes the stored form; <paramref name="owner"/> names the row in the error (IDs only).</summary>
    public static SecretSet Decode(ReadOnlySpan<byte> bytes, string owner)
    {
        if (bytes.Length == 0)
        {
            return SecretSet.Empty;
        }

        try
        {
            var reader = new Reader(bytes);
            if (reader.Byte() != Version)
            {
                throw new FormatException("unknown version");
            }

            var count = reader.Byte();
            var entries = new SecretEntry[count];
            for (var i = 0; i < count; i++)
            {
                var secretId = reader.Long();
                var state = reader.Byte();
                var createdAt = reader.Long();
                var fields = (Fields)reader.Byte();
                long? expiresAt = fields.HasFlag(Fields.ExpiresAt) ? reader.Long() : null;
                long? validUntil = fields.HasFlag(Fields.ValidUntil) ? reader.Long() : null;
                long? revokedAt = fields.HasFlag(Fields.RevokedAt) ? reader.Long() : null;
                var hint = fields.HasFlag(Fields.Hint) ? reader.Text() : null;
                var keyId = fields.HasFlag(Fields.KeyId) ? reader.Text() : null;
                var ciphertext = fields.HasFlag(Fields.Ciphertext) ? reader.Bytes(reader.UShort()) : null;
                var digest = fields.HasFlag(Fields.Digest) ? reader.Bytes(reader.Byte()) : null;
                entries[i] = new SecretEntry(secretId, state, createdAt, expiresAt, validUntil, revokedAt, hint, keyId, ciphertext, digest);
            }

            if (!reader.AtEnd)
            {
                throw new FormatException("trailing bytes");
            }

            return new SecretSet(entries);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentOutOfRangeException or DecoderFallbackException)
        {
            throw new SecretDecryptionException($"The stored secrets of {owner} are malformed ({ex.Message}).");
        }
    }

    private static void Write(ArrayBufferWriter<byte> buffer, byte value)
    {
        buffer.GetSpan(1)[0] = value;
        buffer.Advance(1);
    }

    private static void WriteLong(ArrayBufferWriter<byte> buffer, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(buffer.GetSpan(8), value);
        buffer.Advance(8);
    }

    private static void WriteOptional(ArrayBufferWriter<byte> buffer, long? value)
    {
        if (value is { } v)
        {
            WriteLong(buffer, v);
        }
    }

    private static void WriteText(ArrayBufferWriter<byte> buffer, string? text)
    {
        if (text is null)
        {
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(text);
        Write(buffer, checked((byte)bytes.Length));
        buffer.Write(bytes);
    }

    private ref struct Reader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _at;

        public readonly bool AtEnd => _at == _bytes.Length;

        public byte Byte() => Take(1)[0];

        public ushort UShort() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

        public long Long() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

        public string Text() => new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Take(Byte()));

        public byte[] Bytes(int length) => Take(length).ToArray();

        private ReadOnlySpan<byte> Take(int length)
        {
            if (length > _bytes.Length - _at)
            {
                throw new FormatException("truncated");
            }

            var slice = _bytes.Slice(_at, length);
            _at += length;
            return slice;
        }
    }
}
