# Helpers shared by the Pester tests: a private data folder per test file, and child pwsh
# processes that are always stopped, even when a test fails.

$script:Children = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()
$script:Homes = [System.Collections.Generic.List[string]]::new()

# A new data folder in the temp folder; Remove-TestHome removes every one made since the module was imported.
function New-TestHome {
    $folder = Join-Path ([System.IO.Path]::GetTempPath()) ("vppps-test-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory $folder | Out-Null
    $script:Homes.Add($folder)
    # As VppPS makes its data folder (0700): a looser one is tightened with a warning on first use.
    if (-not $IsWindows) { [System.IO.File]::SetUnixFileMode($folder, [System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute') }
    $folder
}

function Remove-TestHome {
    foreach ($folder in $script:Homes) { Remove-Item -LiteralPath $folder -Recurse -Force -ErrorAction Ignore }
    $script:Homes.Clear()
}

function Get-TestModulePath { $env:VPPPS_TEST_MODULE }

# The pwsh that runs the tests, started as "dotnet pwsh.dll" so that no install is needed.
# An $Environment value of $null removes that variable from the child's environment.
function Get-PwshStartInfo {
    param([string] $Script, [hashtable] $Environment = @{}, [string] $WorkingDirectory)
    $pwshDll = Join-Path ([System.IO.Path]::GetDirectoryName([System.Management.Automation.PSObject].Assembly.Location)) 'pwsh.dll'
    $info = [System.Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)
    if ([System.IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'dotnet') { $info.ArgumentList.Add($pwshDll) }
    foreach ($a in '-NoProfile', '-NonInteractive', '-Command', $Script) { $info.ArgumentList.Add($a) }
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $info.UseShellExecute = $false
    $info.Environment['VPPPS_TEST_MODULE'] = $env:VPPPS_TEST_MODULE
    $info.Environment['NO_COLOR'] = '1'
    foreach ($key in $Environment.Keys) {
        if ($null -eq $Environment[$key]) { $null = $info.Environment.Remove($key) } else { $info.Environment[$key] = $Environment[$key] }
    }
    if ($WorkingDirectory) { $info.WorkingDirectory = $WorkingDirectory }
    $info
}

# Starts a child pwsh running $Script; Stop-TestChildren ends it whatever happens.
function Start-TestPwsh {
    param([string] $Script, [hashtable] $Environment = @{}, [string] $WorkingDirectory)
    $process = [System.Diagnostics.Process]::Start((Get-PwshStartInfo $Script $Environment $WorkingDirectory))
    $script:Children.Add($process)
    $process
}

# Runs $Script in a child pwsh to the end (bounded) and returns its output, error text and exit code.
function Invoke-TestPwsh {
    param([string] $Script, [hashtable] $Environment = @{}, [int] $TimeoutSeconds = 120, [string] $WorkingDirectory)
    $process = Start-TestPwsh $Script $Environment $WorkingDirectory
    $stdout = $process.StandardOutput.ReadToEndAsync()
    $stderr = $process.StandardError.ReadToEndAsync()
    if (-not $process.WaitForExit($TimeoutSeconds * 1000)) { $process.Kill($true); throw "child pwsh did not finish within $TimeoutSeconds s" }
    $process.WaitForExit()
    [pscustomobject]@{ Output = $stdout.Result; Errors = $stderr.Result; ExitCode = $process.ExitCode }
}

function Stop-TestChildren {
    foreach ($process in $script:Children) {
        try { if (-not $process.HasExited) { $process.Kill($true); $process.WaitForExit(10000) | Out-Null } } catch { }
        $process.Dispose()
    }
    $script:Children.Clear()
}

# Waits for a condition without a fixed sleep: SpinUntil re-checks it, up to a deadline.
function Wait-Until {
    param([scriptblock] $Condition, [int] $TimeoutSeconds = 60, [string] $Because = 'the condition')
    $check = [Func[bool]] { [bool] (& $Condition) }
    if (-not [System.Threading.SpinWait]::SpinUntil($check, [TimeSpan]::FromSeconds($TimeoutSeconds))) {
        throw "Timed out after $TimeoutSeconds s waiting for $Because."
    }
}

Export-ModuleMember -Function New-TestHome, Remove-TestHome, Get-TestModulePath, Start-TestPwsh, Invoke-TestPwsh, Stop-TestChildren, Wait-Until
