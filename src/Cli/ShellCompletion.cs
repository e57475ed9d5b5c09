using System.CommandLine;

namespace Overlay.Cli;

/// <summary>
/// <c>subnetra completion bash|zsh</c>: prints a completion script for the shell. Both scripts
/// ask subnetra itself through System.CommandLine's <c>[suggest:POSITION]</c> directive
/// (<c>subnetra "[suggest:12]" "subnetra sta"</c> prints <c>status</c>), so completions always
/// match the installed binary — commands, options and option values such as <c>--os</c>'s —
/// without the dotnet-suggest tool. Install: docs/completion.md.
/// </summary>
public static class ShellCompletion
{
    public const string Bash = """
        # bash completion for subnetra: eval "$(subnetra completion bash)" in ~/.bashrc,
        # or save it as /etc/bash_completion.d/subnetra. Completions come from subnetra's [suggest] directive.
        _subnetra_complete() {
            local IFS=$'\n' cur="${COMP_WORDS[COMP_CWORD]}" candidates
            candidates=$("${COMP_WORDS[0]}" "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null) || return 0
            COMPREPLY=($(compgen -W "${candidates}" -- "${cur}"))
        }
        complete -o default -F _subnetra_complete subnetra

        """;

    public const string Zsh = """
        #compdef subnetra
        # zsh completion for subnetra: save as _subnetra in a directory of $fpath (before compinit),
        # or source <(subnetra completion zsh) after compinit. Completions come from subnetra's [suggest] directive.
        _subnetra() {
            local line="${(j: :)words[1,CURRENT]}"
            local -a candidates
            candidates=("${(@f)$("${words[1]}" "[suggest:${#line}]" "${line}" 2>/dev/null)}")
            compadd -- ${candidates:#}
        }
        if [[ "${zsh_eval_context[-1]}" == loadautofunc ]]; then
            _subnetra "$@"
        else
            compdef _subnetra subnetra
        fi

        """;

    public static Command Create()
    {
        var shell = new Argument<string>("SHELL") { Description = "bash or zsh" };
        shell.AcceptOnlyFromAmong("bash", "zsh");
        var command = new Command("completion", "Print a shell completion script: eval \"$(subnetra completion bash)\" in ~/.bashrc, or for zsh save 'subnetra completion zsh' as _subnetra in your $fpath (docs/completion.md)") { shell };
        command.SetAction(parse =>
        {
            parse.InvocationConfiguration.Output.Write(parse.GetValue(shell) == "zsh" ? Zsh : Bash);
            return CliCommand.ExitOk;
        });
        return command;
    }
}
