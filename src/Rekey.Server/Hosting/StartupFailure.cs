namespace Rekey.Server.Hosting;

/// <summary>
/// A reason the server cannot start that the operator can fix (a missing or wrong master key, a database newer than
/// this binary, an unusable data directory). Its message is the one line printed before the process exits with 1:
/// it names the cause and the file, key or setting, never a secret.
/// </summary>
internal sealed class StartupFailure(string message, Exception? inner = null) : Exception(message, inner);
