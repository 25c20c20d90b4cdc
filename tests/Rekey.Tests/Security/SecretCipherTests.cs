using System.Security.Cryptography;
using Rekey.Server.Secrets;

namespace Rekey.Tests.Security;

/// <summary>The cipher and key ring on their own: no server, no store.</summary>
public sealed class SecretCipherTests
{
    [Fact]
    public void a_sealed_value_opens_only_for_the_service_client_and_secret_it_was_sealed_for()
    {
        var cipher = NewCipher();
        var sealedSecret = cipher.Seal("s3cret-value_0123456789", SecretCipher.AssociatedData(1, 2, 3));

        Assert.Equal("s3cret-value_0123456789", cipher.Open(sealedSecret.KeyId, sealedSecret.Ciphertext, SecretCipher.AssociatedData(1, 2, 3)));
        Assert.Throws<SecretDecryptionException>(() => cipher.Open(sealedSecret.KeyId, sealedSecret.Ciphertext, SecretCipher.AssociatedData(9, 2, 3)));
        Assert.Throws<SecretDecryptionException>(() => cipher.Open(sealedSecret.KeyId, sealedSecret.Ciphertext, SecretCipher.AssociatedData(1, 9, 3)));
        Assert.Throws<SecretDecryptionException>(() => cipher.Open(sealedSecret.KeyId, sealedSecret.Ciphertext, SecretCipher.AssociatedData(1, 2, 9)));
        var flipped = (byte[])sealedSecret.Ciphertext.Clone();
        flipped[^1] ^= 1;
        Assert.Throws<SecretDecryptionException>(() => cipher.Open(sealedSecret.KeyId, flipped, SecretCipher.AssociatedData(1, 2, 3)));
        Assert.Throws<SecretDecryptionException>(() => cipher.Open("unknown", sealedSecret.Ciphertext, SecretCipher.AssociatedData(1, 2, 3)));
        Assert.False(Sec.ContainsText(sealedSecret.Ciphertext, "s3cret-value_0123456789"));
    }

    [Fact]
    public void sealing_the_same_secret_twice_gives_different_ciphertexts()
    {
        var cipher = NewCipher();
        var aad = SecretCipher.AssociatedData(1, 2, 3);

        var first = cipher.Seal("same-secret", aad);
        var second = cipher.Seal("same-secret", aad);

        Assert.NotEqual(first.Ciphertext, second.Ciphertext);
        Assert.NotEqual(first.Ciphertext[..12], second.Ciphertext[..12]);
    }

    [Fact]
    public void a_missing_master_key_file_is_written_only_when_saved_and_then_for_the_owner_only()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix file modes only.
        }

        var directory = Directory.CreateTempSubdirectory("rekey-keyfile-");
        try
        {
            var path = Path.Combine(directory.FullName, "master.key");
            var ring = KeyRing.FromFile(path);
            Assert.Equal(path, ring.UnsavedFile);
            Assert.False(File.Exists(path));

            ring.SaveNewFile();

            Assert.Null(ring.UnsavedFile);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            var reread = KeyRing.FromFile(path);
            Assert.Null(reread.UnsavedFile);
            Assert.Equal(Assert.Single(ring.Keys).Id, Assert.Single(reread.Keys).Id);
            Assert.Equal(ring.Keys[0].CheckValue, reread.Keys[0].CheckValue);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    public static TheoryData<string, string> BrokenKeyFiles => new()
    {
        { "", "holds no key" },
        { "# only a comment\n\n", "holds no key" },
        { "k1:" + Convert.ToBase64String(new byte[32])[..20] + "\n", "not valid at line 1" },
        { "k1:not base64!\n", "not valid at line 1" },
        { "k1:" + Convert.ToBase64String(new byte[16]) + "\n", "not valid at line 1" },
        { "k1:" + Convert.ToBase64String(new byte[32]) + "\nk1:" + Convert.ToBase64String(new byte[32]) + "\n", "given twice" },
    };

    [Theory]
    [MemberData(nameof(BrokenKeyFiles))]
    public void a_broken_master_key_file_refuses_the_start_with_one_line_naming_the_file_and_the_format(string content, string reason)
    {
        var directory = Directory.CreateTempSubdirectory("rekey-keyfile-");
        try
        {
            var path = Path.Combine(directory.FullName, "master.key");
            PrivateFile.WriteNew(path, content);

            var failure = Assert.Throws<Rekey.Server.Hosting.StartupFailure>(() => KeyRing.FromFile(path));

            Assert.Contains(path, failure.Message, StringComparison.Ordinal);
            Assert.Contains(reason, failure.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("\n", failure.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToBase64String(new byte[16]), failure.Message, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void a_master_key_file_that_group_or_others_can_read_refuses_the_start_by_name()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix file modes only.
        }

        var directory = Directory.CreateTempSubdirectory("rekey-keyfile-");
        try
        {
            var path = Path.Combine(directory.FullName, "master.key");
            PrivateFile.WriteNew(path, "k1:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) + "\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

            var failure = Assert.Throws<Rekey.Server.Hosting.StartupFailure>(() => KeyRing.FromFile(path));

            Assert.Equal($"the master key file {path} can be read or written by group or others (mode 0644); run: chmod 600 {path}", failure.Message);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    internal static SecretCipher NewCipher()
    {
        var cipher = new SecretCipher(new KeyRing([new MasterKey("m1", RandomNumberGenerator.GetBytes(32))]));
        cipher.Load([cipher.NewDataKey(1)]);
        return cipher;
    }

    [Fact]
    public void a_digest_matches_only_the_secret_and_the_row_it_was_made_for()
    {
        var cipher = NewCipher();
        var here = SecretCipher.AssociatedData(1, 2, 3);
        var sealedSecret = cipher.Seal("the-secret", here);

        Assert.True(cipher.Matches(sealedSecret.KeyId, sealedSecret.Digest, "the-secret", here));
        Assert.False(cipher.Matches(sealedSecret.KeyId, sealedSecret.Digest, "the-secreT", here));
        Assert.False(cipher.Matches(sealedSecret.KeyId, sealedSecret.Digest, "the-secret", SecretCipher.AssociatedData(1, 7, 3)));
        Assert.False(cipher.Matches("unknown", sealedSecret.Digest, "the-secret", here));
        Assert.NotEqual(sealedSecret.Digest, cipher.Seal("the-secret", SecretCipher.AssociatedData(1, 2, 4)).Digest);
        Assert.False(cipher.MatchNothing(1, "the-secret"));
    }

    [Fact]
    public void a_reload_that_read_an_older_list_of_data_keys_does_not_take_the_newest_key_away()
    {
        var cipher = new SecretCipher(new KeyRing([new MasterKey("m1", RandomNumberGenerator.GetBytes(32))]));
        var older = cipher.NewDataKey(1);
        var newer = cipher.NewDataKey(2);
        cipher.Load([older, newer]);
        var sealedSecret = cipher.Seal("value", SecretCipher.AssociatedData(1, 2, 3));
        Assert.Equal(newer.KeyId, sealedSecret.KeyId);

        // A periodic reload whose read started before the new key was committed finishes after it was loaded.
        cipher.Load([older]);

        Assert.Equal(newer.KeyId, cipher.CurrentKeyId);
        Assert.Equal("value", cipher.Open(sealedSecret.KeyId, sealedSecret.Ciphertext, SecretCipher.AssociatedData(1, 2, 3)));
    }

    [Fact]
    public void a_master_key_must_be_256_bits_and_configuration_entries_parse_with_or_without_an_id()
    {
        var material = RandomNumberGenerator.GetBytes(32);

        Assert.Equal("k2", KeyRing.ParseEntry("k2:" + Convert.ToBase64String(material)).Id);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(material))[..8], KeyRing.ParseEntry(Convert.ToBase64String(material)).Id);
        Assert.Throws<ArgumentException>(() => KeyRing.ParseEntry("k:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))));
        Assert.Throws<FormatException>(() => KeyRing.ParseEntry("k:not base64!"));
        var ring = new KeyRing([KeyRing.ParseEntry("old:" + Convert.ToBase64String(material)), KeyRing.ParseEntry("new:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)))]);
        Assert.Equal(["old", "new"], ring.Keys.Select(k => k.Id));
        Assert.NotNull(ring.Find("old"));
        Assert.Throws<FormatException>(() => KeyRing.ParseEntry("bad id:" + Convert.ToBase64String(material)));
        Assert.Throws<ArgumentException>(() => new KeyRing([KeyRing.ParseEntry("k:" + Convert.ToBase64String(material)), KeyRing.ParseEntry("k:" + Convert.ToBase64String(material))]));
    }
}
