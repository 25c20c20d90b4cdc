namespace Rekey.Contracts;

/// <summary>
/// What a caller-chosen client secret may be: 1 to 86 characters, each one of <c>A-Z a-z 0-9 - _</c>
/// (Authlete's rule; 86 is the length of 64 random bytes in unpadded base64url). The server, the SDK and the
/// CLI all check secrets here and nowhere else.
/// </summary>
public static class ClientSecretRules
{
    /// <summary>The longest secret accepted.</summary>
    public const int MaxLength = 86;

    /// <summary>True when <paramref name="c"/> is one of <c>A-Z a-z 0-9 - _</c>.</summary>
    public static bool IsAllowedCharacter(char c) =>
        c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_';

    /// <summary>
    /// Checks a secret. Returns <see langword="null"/> when it is valid, otherwise the first broken rule.
    /// A <see langword="null"/> secret counts as missing. The message gives the position of an illegal
    /// character, never the character or the secret.
    /// </summary>
    public static RuleViolation? Check(string? secret)
    {
        if (secret is null)
        {
            return RuleViolation.Of(ResultCodes.SecretMissing);
        }

        if (secret.Length == 0)
        {
            return RuleViolation.Of(ResultCodes.SecretEmpty);
        }

        if (secret.Length > MaxLength)
        {
            return RuleViolation.Of(ResultCodes.SecretTooLong, secret.Length, MaxLength);
        }

        for (var i = 0; i < secret.Length; i++)
        {
            if (!IsAllowedCharacter(secret[i]))
            {
                return RuleViolation.Of(ResultCodes.SecretIllegalCharacter, i + 1);
            }
        }

        return null;
    }
}
