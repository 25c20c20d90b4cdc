using System.Diagnostics.CodeAnalysis;
using Rekey.Contracts;

namespace Rekey.Server;

/// <summary>Marks results whose failure must roll back whatever the operation wrote.</summary>
internal interface IOutcome
{
    bool Failed { get; }
}

/// <summary>
/// An expected outcome: a value, or the rule it broke (not found, alias taken, …). The value may itself be null (an
/// optional property left out); success is the absence of an error, never the presence of a value.
/// </summary>
internal readonly record struct Outcome<T> : IOutcome
{
    [AllowNull]
    private readonly T _value;

    public Outcome(T? value, RuleViolation? error)
    {
        _value = value;
        Error = error;
    }

    /// <summary>The value; also the default of <typeparamref name="T"/> (null for a reference) when the outcome failed.</summary>
    public T? Value => _value;

    public RuleViolation? Error { get; }

    public bool Failed => Error is not null;

    /// <summary>Splits the outcome: true with the value, or false with the broken rule.</summary>
    public bool IsOk([MaybeNullWhen(false)] out T value, [NotNullWhen(false)] out RuleViolation? error)
    {
        value = _value;
        error = Error;
        return error is null;
    }

    public static implicit operator Outcome<T>(T value) => new(value, null);

    public static implicit operator Outcome<T>(RuleViolation error) => new(default, error);
}
