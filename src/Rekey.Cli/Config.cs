using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rekey.Cli;

/// <summary>One server as <c>rekey login</c> saved it.</summary>
internal sealed record Profile
{
    public string? Url { get; init; }

    public string? Token { get; init; }

    public string? Service { get; init; }

    public override string ToString() => $"Profile {{ Url = {Url}, Service = {Service}, Token = {TerminalText.Mask(Token)} }}";
}

/// <summary>The config file: named profiles and the one used when none is named.</summary>
internal sealed record ConfigDocument
{
    public string? Default { get; init; }

    public Dictionary<string, Profile> Profiles { get; init; } = new(StringComparer.Ordinal);
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ConfigDocument))]
internal sealed partial class CliJsonContext : JsonSerializerContext;

/// <summary>
/// The config file: <c>REKEY_CONFIG</c>, else <c>$XDG_CONFIG_HOME/rekey/config.json</c>, else
/// <c>~/.config/rekey/config.json</c> (<c>%APPDATA%\rekey\config.json</c> on Windows). It holds tokens, so it is
/// written readable by its owner only (0600, in a 0700 directory), created with that mode rather than changed after.
/// </summary>
internal sealed class ConfigFile(string? path)
{
    public const string PathVariable = "REKEY_CONFIG";
    public const string ProfileVariable = "REKEY_PROFILE";
    public const string DefaultProfile = "default";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Where the file is; <see langword="null"/> when the environment names no home directory.</summary>
    public string? Path => path;

    public static ConfigFile From(Func<string, string?> env)
    {
        if (env(PathVariable) is { } explicitPath)
        {
            return new ConfigFile(explicitPath);
        }

        var root = env("XDG_CONFIG_HOME")
            ?? (env("HOME") is { } home ? System.IO.Path.Combine(home, ".config") : null)
            ?? (OperatingSystem.IsWindows() ? env("APPDATA") : null);
        return new ConfigFile(root is null ? null : System.IO.Path.Combine(root, "rekey", "config.json"));
    }

    public ConfigDocument Read()
    {
        if (path is null || !File.Exists(path))
        {
            return new ConfigDocument();
        }

        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize(stream, CliJsonContext.Default.ConfigDocument) ?? new ConfigDocument();
        }
        catch (JsonException ex)
        {
            throw new UsageException($"the config file {path} is not valid: {ex.Message}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read the config file {path}: {ex.Message}");
        }
    }

    /// <summary>Replaces the file: a new file created 0600 beside it, then renamed over it (never a half-written file).</summary>
    public void Write(ConfigDocument document)
    {
        if (path is null)
        {
            throw new UsageException($"no config directory: set HOME, XDG_CONFIG_HOME or {PathVariable}.");
        }

        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) ?? ".";
        var temporary = System.IO.Path.Combine(directory, $".config.{Guid.NewGuid():N}.tmp");
        try
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, OwnerOnly | UnixFileMode.UserExecute);
            }

            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = OwnerOnly;
            }

            using (var stream = new FileStream(temporary, options))
            {
                JsonSerializer.Serialize(stream, document, CliJsonContext.Default.ConfigDocument);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            File.Delete(temporary);
            throw new UsageException($"cannot write the config file {path}: {ex.Message}");
        }
    }
}
