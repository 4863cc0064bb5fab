<#
.SYNOPSIS
    A private PostgreSQL server for the tests and benchmarks: a new cluster in a temporary folder,
    listening on 127.0.0.1 and a port the OS chose, stopped and removed by Stop-TestPostgres.
.DESCRIPTION
    PostgreSQL refuses to run as root: when this runs as root (CI), initdb and pg_ctl run as the
    'postgres' user through runuser, and the folder is given to that user. The superuser's password
    is random and only lives in the returned object (and the environment variable the caller sets).
    Test servers trade durability for speed (fsync off) unless -Durable is given (benchmarks).
#>
Set-StrictMode -Version Latest

function Find-PostgresBin {
    $candidates = @()
    if ($env:VPPPS_PG_BIN) { $candidates += $env:VPPPS_PG_BIN }
    if (Test-Path /usr/lib/postgresql) {
        $candidates += Get-ChildItem /usr/lib/postgresql -Directory | Sort-Object { [int]($_.Name -replace '\D', '') } -Descending |
            ForEach-Object { Join-Path $_.FullName 'bin' }
    }
    foreach ($candidate in $candidates) {
        if (Test-Path (Join-Path $candidate 'initdb')) { return $candidate }
    }
    $initdb = Get-Command initdb -CommandType Application -ErrorAction Ignore | Select-Object -First 1
    if ($initdb) { return Split-Path (Resolve-Path $initdb.Source).Path }
    throw 'PostgreSQL is not installed (no initdb found). On Debian or Ubuntu: apt-get install -y postgresql; or set VPPPS_PG_BIN to the folder that holds initdb and pg_ctl.'
}

function Test-IsRoot { (& id -u) -eq '0' }

function Invoke-AsServerUser {
    param([string] $Program, [string[]] $Arguments)
    if (Test-IsRoot) { $output = & runuser -u postgres -- $Program @Arguments 2>&1 }
    else { $output = & $Program @Arguments 2>&1 }
    if ($LASTEXITCODE -ne 0) { throw "$([IO.Path]::GetFileName($Program)) failed (exit code $LASTEXITCODE): $($output -join [Environment]::NewLine)" }
}

function Get-FreeLoopbackPort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { return $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function Start-TestPostgres {
    [CmdletBinding()]
    param([switch] $Durable)
    $bin = Find-PostgresBin
    $folder = Join-Path ([IO.Path]::GetTempPath()) ("vppps-pg-" + [guid]::NewGuid().ToString('N').Substring(0, 12))
    $data = Join-Path $folder 'data'
    New-Item -ItemType Directory $folder | Out-Null
    $password = [Convert]::ToHexString([Security.Cryptography.RandomNumberGenerator]::GetBytes(16)).ToLowerInvariant()
    $pwfile = Join-Path $folder 'pw'
    Set-Content -Path $pwfile -Value $password -NoNewline
    try {
        if (Test-IsRoot) { & chown -R postgres $folder; if ($LASTEXITCODE -ne 0) { throw "chown of $folder failed" } }
        & chmod 700 $folder
        Invoke-AsServerUser (Join-Path $bin 'initdb') @('-D', $data, '-U', 'postgres', "--pwfile=$pwfile", '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync')
        & rm -f -- $pwfile
        $port = Get-FreeLoopbackPort
        $options = "-c listen_addresses=127.0.0.1 -p $port -k $folder -c max_connections=200"
        if (-not $Durable) { $options += ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off' }
        Invoke-AsServerUser (Join-Path $bin 'pg_ctl') @('-D', $data, '-l', (Join-Path $folder 'server.log'), '-o', $options, '-w', '-t', '60', 'start')
    } catch {
        Stop-TestPostgres ([pscustomobject]@{ Bin = $bin; Folder = $folder; Data = $data })
        throw
    }
    [pscustomobject]@{
        Bin              = $bin
        Folder           = $folder
        Data             = $data
        Host             = '127.0.0.1'
        Port             = $port
        Username         = 'postgres'
        Password         = $password
        ConnectionString = "Host=127.0.0.1;Port=$port;Username=postgres;Password=$password;Database=postgres"
    }
}

function Stop-TestPostgres {
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Server)
    try {
        if (Test-Path (Join-Path $Server.Data 'postmaster.pid')) {
            Invoke-AsServerUser (Join-Path $Server.Bin 'pg_ctl') @('-D', $Server.Data, '-m', 'immediate', '-w', '-t', '30', 'stop')
        }
    } finally {
        # rm, not Remove-Item: the server's socket files can vanish (or be refused) mid-walk.
        if (Test-Path $Server.Folder) { & rm -rf -- $Server.Folder }
    }
}

# The parts of an Npgsql connection string "Host=...;Port=...;Username=...;Password=...;Database=...".
function ConvertFrom-ConnectionString([string] $ConnectionString) {
    $parts = @{}
    foreach ($pair in $ConnectionString -split ';') {
        if ($pair -match '^\s*([^=]+?)\s*=\s*(.*)$') { $parts[$Matches[1]] = $Matches[2] }
    }
    $parts
}

# Runs SQL with psql against the database of $ConnectionString (as its login); returns psql's output lines.
function Invoke-TestPostgresSql {
    param([Parameter(Mandatory)] [string] $ConnectionString, [Parameter(Mandatory)] [string] $Sql)
    $parts = ConvertFrom-ConnectionString $ConnectionString
    $psql = Join-Path (Find-PostgresBin) 'psql'
    $previous = $env:PGPASSWORD
    $env:PGPASSWORD = $parts.Password
    try {
        $output = & $psql -X -q -t -A -v ON_ERROR_STOP=1 -h $parts.Host -p $parts.Port -U $parts.Username -d $parts.Database -c $Sql 2>&1
        if ($LASTEXITCODE -ne 0) { throw "psql failed (exit code $LASTEXITCODE): $($output -join [Environment]::NewLine)" }
        $output
    } finally { $env:PGPASSWORD = $previous }
}

# A new database on the server of $ConnectionString, empty or a copy of -Template (a database
# nobody is connected to); returns the connection string to it (same login).
function New-TestPostgresDatabase {
    param([Parameter(Mandatory)] [string] $ConnectionString, [string] $Template)
    $name = 'vppps_t_' + [guid]::NewGuid().ToString('N').Substring(0, 12)
    $sql = "CREATE DATABASE $name"
    if ($Template) { $sql += " TEMPLATE $Template" }
    Invoke-TestPostgresSql $ConnectionString $sql | Out-Null
    $ConnectionString -replace 'Database=[^;]*', "Database=$name"
}

# Drops the databases of $Databases (connection strings from New-TestPostgresDatabase), ending
# whatever connections they still have, with one psql.
function Remove-TestPostgresDatabase {
    param([Parameter(Mandatory)] [string] $ConnectionString, [string[]] $Databases)
    if (-not $Databases) { return }
    $parts = ConvertFrom-ConnectionString $ConnectionString
    $psql = Join-Path (Find-PostgresBin) 'psql'
    $arguments = @('-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', $parts.Host, '-p', $parts.Port, '-U', $parts.Username, '-d', $parts.Database)
    # One -c per statement: DROP DATABASE cannot run inside the one transaction a multi-statement -c is.
    foreach ($database in $Databases) {
        $arguments += '-c'; $arguments += "DROP DATABASE IF EXISTS $((ConvertFrom-ConnectionString $database).Database) WITH (FORCE)"
    }
    $previous = $env:PGPASSWORD
    $env:PGPASSWORD = $parts.Password
    try {
        $output = & $psql @arguments 2>&1
        if ($LASTEXITCODE -ne 0) { throw "psql failed (exit code $LASTEXITCODE): $($output -join [Environment]::NewLine)" }
    } finally { $env:PGPASSWORD = $previous }
}

# A database on the server of $ConnectionString that holds VppPS's schema as the module at
# $ModulePath migrates a new store, and nothing else (no store key check, no installation id:
# each copy takes its own on first use), for New-TestPostgresDatabase -Template: copying it is much
# faster than migrating each test's database. The module migrates it in a child pwsh, so that no
# pooled connection of this process stays on it. Returns the database's name.
function New-TestPostgresTemplate {
    param([Parameter(Mandatory)] [string] $ConnectionString, [Parameter(Mandatory)] [string] $ModulePath)
    $connection = New-TestPostgresDatabase $ConnectionString
    $pwsh = [Environment]::ProcessPath
    $arguments = @()
    if ([IO.Path]::GetFileNameWithoutExtension($pwsh) -eq 'dotnet') { $arguments += Join-Path $PSHOME 'pwsh.dll' }
    $arguments += '-NoProfile', '-NonInteractive', '-Command', '$ErrorActionPreference = ''Stop''; Import-Module $env:VPPPS_TEMPLATE_MODULE; Get-VppStore | Out-Null'
    $saved = @{}
    $variables = @{
        VPPPS_TEMPLATE_MODULE = $ModulePath; VPPPS_STORE = $connection
        VPPPS_STORE_KEY = [Convert]::ToBase64String([Security.Cryptography.RandomNumberGenerator]::GetBytes(32))
    }
    foreach ($name in $variables.Keys) { $saved[$name] = [Environment]::GetEnvironmentVariable($name); [Environment]::SetEnvironmentVariable($name, $variables[$name]) }
    try { $output = & $pwsh @arguments 2>&1 }
    finally { foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) } }
    if ($LASTEXITCODE -ne 0) { throw "Migrating the template database failed (exit code $LASTEXITCODE): $($output -join [Environment]::NewLine)" }
    Invoke-TestPostgresSql $connection 'DELETE FROM vppps.settings; DELETE FROM vppps.installation' | Out-Null
    (ConvertFrom-ConnectionString $connection).Database
}

# A login on the server of $ConnectionString with a random password and the given role; returns its connection string.
function New-TestPostgresLogin {
    param([Parameter(Mandatory)] [string] $ConnectionString, [Parameter(Mandatory)] [string] $Role)
    $name = 'vppps_l_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    $password = [Convert]::ToHexString([Security.Cryptography.RandomNumberGenerator]::GetBytes(12)).ToLowerInvariant()
    Invoke-TestPostgresSql $ConnectionString "CREATE ROLE $name LOGIN PASSWORD '$password' IN ROLE $Role" | Out-Null
    ($ConnectionString -replace 'Username=[^;]*', "Username=$name") -replace 'Password=[^;]*', "Password=$password"
}

Export-ModuleMember -Function Start-TestPostgres, Stop-TestPostgres, Invoke-TestPostgresSql, New-TestPostgresDatabase, Remove-TestPostgresDatabase, New-TestPostgresTemplate, New-TestPostgresLogin
