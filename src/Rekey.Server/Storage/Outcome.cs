using System.Diagnostics.CodeAnalysis;
using Rekey.Contracts;

namespace Rekey.Server.Storage;

/// <summary>Marks results whose failure must roll back whatever the operation wrote.</summary>
internal interface IOutcome
{
    bool Failed { get; }
}

/// <summary>An expected outcome: a value, or the rule it broke (not found, alias taken, …).</summary>
internal readonly record struct Outcome<T>(T? Value, RuleViolation? Error) : IOutcome
{
    public bool Failed => Error is not null;

    /// <summary>Splits the outcome: true with the value, or false with the broken rule.</summary>
    public bool IsOk([NotNullWhen(true)] out T? value, [NotNullWhen(false)] out RuleViolation? error)
    {
        value = Value;
        error = Error;
        return Error is null && Value is not null;
    }

    public static implicit operator Outcome<T>(T value) => new(value, null);

    public static implicit operator Outcome<T>(RuleViolation error) => new(default, error);
}
