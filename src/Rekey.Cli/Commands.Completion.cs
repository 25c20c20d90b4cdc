using System.CommandLine;

namespace Rekey.Cli;

internal static partial class Commands
{
    /// <summary>
    /// <c>rekey completion &lt;shell&gt;</c>: a script that asks <c>rekey</c> itself what may come next, with the
    /// <c>[suggest:N]</c> directive of the dotnet-suggest protocol (<c>rekey "[suggest:9]" "rekey ser"</c> prints
    /// <c>service</c>), so completion always matches the installed version. No dotnet-suggest is needed.
    /// </summary>
    private static Command Completion(Session session)
    {
        var shell = new Argument<string>("shell") { Description = "bash, zsh, fish or pwsh" };
        shell.AcceptOnlyFromAmong([.. Scripts.Keys]);
        var completion = new Command("completion",
            "Print a shell completion script. bash: eval \"$(rekey completion bash)\" in ~/.bashrc; zsh: eval \"$(rekey completion zsh)\" in ~/.zshrc; " +
            "fish: rekey completion fish > ~/.config/fish/completions/rekey.fish; pwsh: rekey completion pwsh | Out-String | Invoke-Expression in $PROFILE")
        {
            shell,
        };
        completion.SetAction(parse =>
        {
            session.Out.Write(Scripts[parse.GetRequiredValue(shell)]);
            return ExitCodes.Success;
        });
        return completion;
    }

    private static readonly Dictionary<string, string> Scripts = new(StringComparer.Ordinal)
    {
        ["bash"] = """
            # rekey completion for bash: eval "$(rekey completion bash)"
            _rekey_complete() {
                local IFS=$'\n'
                local line="${COMP_LINE:0:COMP_POINT}"
                COMPREPLY=($(compgen -W "$(rekey "[suggest:${#line}]" "$line" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
            }
            complete -o default -F _rekey_complete rekey

            """,
        ["zsh"] = """
            # rekey completion for zsh: eval "$(rekey completion zsh)"
            _rekey() {
                local line="${(j: :)words[1,CURRENT]}"
                local -a candidates
                candidates=("${(@f)$(rekey "[suggest:${#line}]" "$line" 2>/dev/null)}")
                compadd -a candidates
            }
            compdef _rekey rekey

            """,
        ["fish"] = """
            # rekey completion for fish: rekey completion fish > ~/.config/fish/completions/rekey.fish
            function __rekey_complete
                set -l line (commandline -cp)
                rekey "[suggest:"(string length -- "$line")"]" "$line" 2>/dev/null
            end
            complete -c rekey -f -a '(__rekey_complete)'

            """,
        ["pwsh"] = """
            # rekey completion for PowerShell: rekey completion pwsh | Out-String | Invoke-Expression
            Register-ArgumentCompleter -Native -CommandName rekey -ScriptBlock {
                param($wordToComplete, $commandAst, $cursorPosition)
                $line = $commandAst.ToString()
                if ($cursorPosition -lt $line.Length) { $line = $line.Substring(0, $cursorPosition) }
                rekey "[suggest:$($line.Length)]" "$line" 2>$null | ForEach-Object {
                    [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
                }
            }

            """,
    };
}
