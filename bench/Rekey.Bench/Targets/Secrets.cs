namespace Rekey.Bench.Targets;

/// <summary>
/// Valid, distinct client secrets: a fixed-width base64url encoding of a sequence number (unique per target and run)
/// followed by random characters of the same alphabet, to a random total length of 6 to 86 characters.
/// </summary>
internal static class Secrets
{
    public const int PrefixLength = 6;
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    public static string Next(long sequence)
    {
        var length = Random.Shared.Next(PrefixLength, 87);
        return string.Create(length, sequence, static (span, seq) =>
        {
            for (var i = PrefixLength - 1; i >= 0; i--)
            {
                span[i] = Alphabet[(int)(seq & 63)];
                seq >>= 6;
            }

            for (var i = PrefixLength; i < span.Length; i++)
            {
                span[i] = Alphabet[Random.Shared.Next(64)];
            }
        });
    }
}
