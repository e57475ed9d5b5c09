namespace Overlay.Protocol.Config;

/// <summary>This node's private key (inline or from a file) and the rules that tie it to explicit peer keys.</summary>
internal sealed partial class ConfigValidator
{
    private byte[]? PrivateKey(Dictionary<string, ConfigNode> top)
    {
        bool hasKey = top.TryGetValue("private_key", out var keyNode);
        bool hasFile = top.TryGetValue("private_key_file", out var fileNode);
        if (hasKey && hasFile)
        {
            Error("private_key_file", "cannot be combined with private_key; keep one");
            return null;
        }
        string? text = null;
        string path = "private_key";
        if (hasKey)
        {
            text = String(keyNode!);
        }
        else if (hasFile && String(fileNode!) is string file)
        {
            path = "private_key_file";
            text = ReadKeyFile(path, file);
        }
        if (text is null) return null;
        if (!KeyEncoding.TryParseBase64Key(text, out var key))
        {
            Error(path, "must be a WireGuard private key: 44-character base64 of 32 bytes (`subnetra genkey`)");
            return null;
        }
        if (KeyEncoding.IsAllZero(key))
        {
            Error(path, "is all zeros; generate one with `subnetra genkey`");
            return null;
        }
        return key;
    }

    /// <summary>
    /// The trimmed text of a key file relative to the config's directory, read through the node's
    /// <see cref="IRegularFileReader"/> (regular files only, at most 4 KiB); null (and an error) when unreadable.
    /// </summary>
    private string? ReadKeyFile(string path, string file)
    {
        string full = Path.GetFullPath(file, _baseDirectory);
        if (_files is null) { Error(path, $"cannot read {full}: this config was not loaded from a file"); return null; }
        FileReadResult read = _files.Read(full, ConfigLoader.MaxKeyFileBytes);
        switch (read.Status)
        {
            case FileReadStatus.Ok:
                break;
            case FileReadStatus.NotFound:
                Error(path, $"file not found: {full}");
                return null;
            case FileReadStatus.NotRegular:
                Error(path, $"{full} {read.Problem}; point private_key_file at a file holding the key (`subnetra genkey > node.key`)");
                return null;
            case FileReadStatus.TooLarge:
                Error(path, $"{full} is too large to be a key file ({read.Problem}); it should hold one 44-character key");
                return null;
            default:
                Error(path, $"cannot read {full}: it {read.Problem}");
                return null;
        }
        byte[] bytes = read.Bytes!;
        string text;
        try
        {
            text = System.Text.Encoding.UTF8.GetString(bytes).Trim();
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes);
        }
        try
        {
            if (!OperatingSystem.IsWindows()
                && (File.GetUnixFileMode(full) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0)
                Warn(path, $"{full} is readable by group or others; restrict it with chmod 600");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The key was read; its mode only feeds a warning.
        }
        return text;
    }

    /// <summary>An explicit peer public_key needs this node's own key; an own key nobody uses is a warning.</summary>
    private void CheckExplicitKeys(TopDraft d)
    {
        var top = d.Fields;
        bool anyExplicit = false;
        foreach (var p in d.Peers)
        {
            if (p.PublicKey is null) continue;
            anyExplicit = true;
            if (d.PrivateKey is null && !top.ContainsKey("private_key") && !top.ContainsKey("private_key_file"))
                Error($"peers[{p.Index}].public_key",
                    "an explicit peer key needs this node's own key: set private_key or private_key_file at the top level");
        }
        if (d.PrivateKey is not null && !anyExplicit)
            Warn(top.ContainsKey("private_key") ? "private_key" : "private_key_file",
                "unused: no peer has public_key, so every link uses its PSK-derived identity");
    }
}
