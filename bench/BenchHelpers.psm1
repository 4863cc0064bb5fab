# What the benchmark scripts share: the pwsh that runs them, started afresh for each measured run.

# The command that starts this same pwsh (the dotnet tool: "dotnet pwsh.dll").
function Get-PwshCommand {
    $pwshDll = Join-Path ([System.IO.Path]::GetDirectoryName([System.Management.Automation.PSObject].Assembly.Location)) 'pwsh.dll'
    $command = @([Environment]::ProcessPath)
    if ([System.IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'dotnet') { $command += $pwshDll }
    , $command
}

# Runs a script in a fresh pwsh with the given environment and returns the last line of its output parsed as JSON.
function Invoke-BenchChild {
    param([Parameter(Mandatory)] [string] $Script, [hashtable] $Environment = @{})
    $pwsh = Get-PwshCommand
    $saved = @{}
    foreach ($key in $Environment.Keys) { $saved[$key] = [Environment]::GetEnvironmentVariable($key); Set-Item "env:$key" $Environment[$key] }
    try {
        $output = & $pwsh[0] $pwsh[1..9] -NoProfile -NonInteractive -Command $Script
        if ($LASTEXITCODE -ne 0) { throw "child pwsh failed: $($output -join "`n")" }
        $output | Select-Object -Last 1 | ConvertFrom-Json
    }
    finally { foreach ($key in $Environment.Keys) { [Environment]::SetEnvironmentVariable($key, $saved[$key]) } }
}

Export-ModuleMember -Function Get-PwshCommand, Invoke-BenchChild
