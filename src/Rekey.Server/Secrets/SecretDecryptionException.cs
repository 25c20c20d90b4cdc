namespace Rekey.Server.Secrets;

/// <summary>A ciphertext that does not open: unknown key, tampered bytes, or a row copied to another client.</summary>
internal sealed class SecretDecryptionException(string message) : Exception(message);
