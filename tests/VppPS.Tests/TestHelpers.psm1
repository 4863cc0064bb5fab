# Helpers shared by the Pester tests: a private data folder per test file, and child pwsh
# processes that are always stopped, even when a test fails.

$script:Children = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()
$script:Homes = [System.Collections.Generic.List[string]]::new()

$script:Databases = [System.Collections.Generic.List[string]]::new()
if ($env:VPPPS_TEST_BACKEND -eq 'PostgreSql') { Import-Module (Join-Path $PSScriptRoot '../../tools/TestPostgres.psm1') -Scope Local }

# True when the suite runs on PostgreSQL (Invoke-PesterTests.ps1 with VPPPS_TEST_BACKEND=PostgreSql):
# each New-TestHome then also makes a new PostgreSQL store, in VPPPS_STORE and VPPPS_STORE_KEY.
function Test-PostgresRun { $env:VPPPS_TEST_BACKEND -eq 'PostgreSql' }

# In an It or a BeforeEach: skips the test on the PostgreSQL run, saying why (what it checks exists only
# on SQLite, or it chooses its stores itself).
function Skip-OnPostgres {
    param([Parameter(Mandatory)] [string] $Because)
    if (Test-PostgresRun) { Set-ItResult -Skipped -Because "not on the PostgreSQL run: $Because" }
}

# A new data folder in the temp folder; Remove-TestHome removes every one made since the module was imported.
# On the PostgreSQL run, also a new store: a database of its own on the run's server (a copy of the
# run's migrated template), set in VPPPS_STORE with the run's key in VPPPS_STORE_KEY, which win over
# VPPPS_HOME and which child pwsh processes inherit. The folder still holds the files (logs, reports).
function New-TestHome {
    $folder = Join-Path ([System.IO.Path]::GetTempPath()) ("vppps-test-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory $folder | Out-Null
    $script:Homes.Add($folder)
    # As VppPS makes its data folder (0700): a looser one is tightened with a warning on first use.
    if (-not $IsWindows) { [System.IO.File]::SetUnixFileMode($folder, [System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute') }
    if (Test-PostgresRun) {
        $env:VPPPS_STORE = New-TestPostgresDatabase $env:VPPPS_TEST_POSTGRES -Template $env:VPPPS_TEST_POSTGRES_TEMPLATE
        $env:VPPPS_STORE_KEY = $env:VPPPS_TEST_STORE_KEY
        $script:Databases.Add($env:VPPPS_STORE)
    }
    $folder
}

function Remove-TestHome {
    foreach ($folder in $script:Homes) { Remove-Item -LiteralPath $folder -Recurse -Force -ErrorAction Ignore }
    $script:Homes.Clear()
    if ($script:Databases.Count) {
        Remove-TestPostgresDatabase $env:VPPPS_TEST_POSTGRES $script:Databases
        $script:Databases.Clear()
        Remove-Item Env:VPPPS_STORE, Env:VPPPS_STORE_KEY -ErrorAction Ignore
    }
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

Export-ModuleMember -Function Test-PostgresRun, Skip-OnPostgres, New-TestHome, Remove-TestHome, Get-TestModulePath, Start-TestPwsh, Invoke-TestPwsh, Stop-TestChildren, Wait-Until
