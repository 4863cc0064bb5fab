# The packages that build.ps1 Package writes (build.ps1 Test makes them first and names their
# folder in VPPPS_TEST_PACKAGES), installed as a new user would: a local folder repository in
# TestDrive, Install-PSResource in a fresh pwsh whose HOME is in TestDrive (PSResourceGet keeps its
# repository list and CurrentUser modules per user there, so the real ones are never touched),
# run from another folder with nothing of the repository on any path.
BeforeDiscovery {
    # On Windows, Install-PSResource -Scope CurrentUser writes into the real Documents folder,
    # which no environment variable moves.
    $script:SkipInstall = $IsWindows
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:Packages = if ($env:VPPPS_TEST_PACKAGES) { $env:VPPPS_TEST_PACKAGES } else { Join-Path (Split-Path (Split-Path (Get-TestModulePath))) 'packages' }
    [xml] $props = Get-Content -Raw (Join-Path $PSScriptRoot '../../Directory.Build.props')
    $script:Version = @($props.Project.PropertyGroup | ForEach-Object { $_.SelectSingleNode('VersionPrefix') } | Where-Object { $_ })[0].InnerText.Trim()
    $script:Nupkg = Join-Path $Packages "VppPS.$Version.nupkg"
    $script:Zip = Join-Path $Packages 'VppPS.zip'
    foreach ($file in $Nupkg, $Zip) {
        if (-not (Test-Path $file)) { throw "$file is missing: run build.ps1 Package (build.ps1 Test makes it)." }
    }
    Add-Type -AssemblyName System.IO.Compression.FileSystem
    function Get-ZipEntry {
        param([string] $Path)
        $archive = [System.IO.Compression.ZipFile]::OpenRead($Path)
        try { @($archive.Entries | ForEach-Object { [pscustomobject]@{ Name = $_.FullName; Length = $_.Length } }) } finally { $archive.Dispose() }
    }
    function Read-ZipText {
        param([string] $Path, [string] $Entry)
        $archive = [System.IO.Compression.ZipFile]::OpenRead($Path)
        try {
            $reader = [System.IO.StreamReader]::new($archive.GetEntry($Entry).Open())
            try { $reader.ReadToEnd() } finally { $reader.Dispose() }
        }
        finally { $archive.Dispose() }
    }
}
AfterAll {
    Stop-TestChildren
}

Describe 'One version everywhere' {
    It 'the laid-out manifest, the assemblies and the Gallery package carry the version of Directory.Build.props' {
        $Version | Should -Match '^\d+\.\d+\.\d+$'
        (Import-PowerShellDataFile (Get-TestModulePath)).ModuleVersion | Should -Be $Version
        $folder = Split-Path (Get-TestModulePath)
        [System.Reflection.AssemblyName]::GetAssemblyName((Join-Path $folder 'VppPS.dll')).Version.ToString(3) | Should -Be $Version
        [System.Reflection.AssemblyName]::GetAssemblyName((Join-Path $folder 'Dependencies/VppPS.Engine.dll')).Version.ToString(3) | Should -Be $Version
        [xml] $nuspec = Read-ZipText $Nupkg 'VppPS.nuspec'
        $nuspec.package.metadata.version | Should -Be $Version
    }

    It 'the manifest has what the Gallery shows: project, license, tags and this version''s notes from CHANGELOG.md' {
        $data = (Import-PowerShellDataFile (Get-TestModulePath)).PrivateData.PSData
        $data.ProjectUri | Should -Match '^https://'
        $data.LicenseUri | Should -Match '^https://'
        $data.Tags | Should -Contain 'PSEdition_Core'
        $data.ReleaseNotes | Should -BeLike "$Version*### Added*"
        Get-Content -Raw (Join-Path $PSScriptRoot '../../CHANGELOG.md') | Should -Match "(?m)^## $([regex]::Escape($Version))\b"
        [xml] $nuspec = Read-ZipText $Nupkg 'VppPS.nuspec'
        $nuspec.package.metadata.projectUrl | Should -Be $data.ProjectUri
        $nuspec.package.metadata.releaseNotes | Should -BeLike "$Version*"
    }

    It 'the release notes keep each list whole: no blank line between two items (the Gallery would show two lists)' {
        $notes = (Import-PowerShellDataFile (Get-TestModulePath)).PrivateData.PSData.ReleaseNotes -replace "`r", ''
        # An item or its continuation, a blank line, then another item.
        [regex]::Matches($notes, '(?m)^(?:- |  )[^\n]*\n\n- ([^\n]*)').ForEach({ $_.Groups[1].Value }) | Should -BeNullOrEmpty
    }

    It 'ships the MIT license in the module and both packages' {
        Get-Content -Raw (Join-Path (Split-Path (Get-TestModulePath)) 'LICENSE') | Should -BeLike 'MIT License*'
        (Get-ZipEntry $Nupkg).Name | Should -Contain 'LICENSE'
        (Get-ZipEntry $Zip).Name | Should -Contain 'VppPS/LICENSE'
    }
}

Describe 'The Azure Automation package (VppPS.zip)' {
    It 'has VppPS/ at its root, every path under 140 characters, and is under 100 MB' {
        $entries = Get-ZipEntry $Zip
        $entries.Name | Should -Contain 'VppPS/VppPS.psd1'
        $entries.Name | Should -Contain 'VppPS/VppPS.dll'
        @($entries | Where-Object { -not $_.Name.StartsWith('VppPS/') }) | Should -BeNullOrEmpty
        @($entries | Where-Object { $_.Name.Length -ge 140 }) | Should -BeNullOrEmpty
        (Get-Item $Zip).Length | Should -BeLessThan 100MB
        (Import-PowerShellDataFile -Path (Get-TestModulePath)).ModuleVersion | Should -Be $Version
        Read-ZipText $Zip 'VppPS/VppPS.psd1' | Should -Match "ModuleVersion\s*=\s*'$([regex]::Escape($Version))'"
    }

    It 'unzipped into a module folder, loads by name in a fresh pwsh and runs a command' {
        $folder = Join-Path ([System.IO.Path]::GetTempPath()) ('vppps-zip-' + [guid]::NewGuid().ToString('N'))
        try {
            $modules = New-Item -ItemType Directory (Join-Path $folder 'Modules')
            $data = New-Item -ItemType Directory (Join-Path $folder 'data')
            if (-not $IsWindows) { [System.IO.File]::SetUnixFileMode($data.FullName, [System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute') }
            Expand-Archive -LiteralPath $Zip -DestinationPath $modules.FullName
            $run = Invoke-TestPwsh -WorkingDirectory $folder -Environment @{ PSModulePath = $modules.FullName; VPPPS_HOME = $data.FullName; VPPPS_TEST_MODULE = $null } -Script @'
$ErrorActionPreference = 'Stop'
$tokens = @(Get-VppToken).Count
$module = Get-Module VppPS
"RESULT $tokens|$($module.ModuleBase)|$($module.Version)|$((Get-VppConfiguration).DataFolder)"
'@
            $line = ($run.Output -split "`n") | Where-Object { $_.StartsWith('RESULT ') } | Select-Object -Last 1
            if ($run.ExitCode -ne 0 -or -not $line) { throw "The fresh pwsh failed (exit code $($run.ExitCode)):`n$($run.Output)`n$($run.Errors)" }
            $tokens, $base, $loaded, $dataFolder = $line.Substring(7).Trim() -split '\|'
            $tokens | Should -Be '0'
            $base | Should -Be (Join-Path $modules.FullName 'VppPS')
            $loaded | Should -Be $Version
            if (-not (Test-PostgresRun)) { $dataFolder | Should -Be $data.FullName }
        }
        finally { Remove-Item -LiteralPath $folder -Recurse -Force -ErrorAction Ignore }
    }

    It 'holds native SQLite for the supported platforms only' {
        $rids = (Get-ZipEntry $Zip).Name | Where-Object { $_ -match '^VppPS/Dependencies/runtimes/([^/]+)/native/' } | ForEach-Object { $Matches[1] } | Sort-Object -Unique
        $rids | Should -Be ('linux-arm64', 'linux-x64', 'osx-arm64', 'osx-x64', 'win-x64')
    }
}

Describe 'Installed from a repository with Install-PSResource' -Skip:$SkipInstall {
    BeforeAll {
        $userHome = New-Item -ItemType Directory (Join-Path $TestDrive 'home')
        $work = New-Item -ItemType Directory (Join-Path $TestDrive 'work')
        $repository = New-Item -ItemType Directory (Join-Path $TestDrive 'repository')
        $incoming = New-Item -ItemType Directory (Join-Path $TestDrive 'incoming')
        Copy-Item $Nupkg $incoming
        # Where pwsh and PSResourceGet put CurrentUser modules when HOME is $userHome.
        $script:Modules = Join-Path $userHome '.local/share/powershell/Modules'
        $script:Child = Join-Path $TestDrive 'install-and-use.ps1'
        Set-Content -Path $Child -Value @'
$ErrorActionPreference = 'Stop'
$PSStyle.OutputRendering = 'PlainText'
$ProgressPreference = 'SilentlyContinue'
$result = [ordered]@{}
$result.PathHasRepository = ($env:PSModulePath -split [IO.Path]::PathSeparator) -like "$env:VPPPS_TEST_REPO_ROOT*"
$result.AvailableBefore = @(Get-Module -ListAvailable VppPS).Count
$name = 'VppPSTest'
Register-PSResourceRepository -Name $name -Uri $env:VPPPS_TEST_REPOSITORY -Trusted
try {
    Publish-PSResource -NupkgPath $env:VPPPS_TEST_NUPKG -Repository $name
    $result.Found = (Find-PSResource -Name VppPS -Repository $name).Version.ToString()
    Install-PSResource -Name VppPS -Repository $name -Scope CurrentUser -TrustRepository
}
finally { Unregister-PSResourceRepository -Name $name }

# Autoload: no Import-Module.
$result.TokensBefore = @(Get-VppToken).Count
$module = Get-Module VppPS
$result.ModuleBase = $module.ModuleBase
$result.ModuleVersion = $module.Version.ToString()
$result.LoadedFromRepository = @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.Location -like "$env:VPPPS_TEST_REPO_ROOT*" }).Count

$sim = Start-VppSimulator
$result.SimulatorProcessId = $sim.ProcessId
try {
    Set-VppConfiguration -StatusPollIntervalSeconds 0 -Confirm:$false
    $tokens = @($sim.TokenFiles | Add-VppToken -AppleId 'vpp-admin@riversideusd.example' -AccountType Education)
    $result.Tokens = $tokens.Count
    $runs = @(Sync-VppToken -All)
    $result.SyncStatuses = @($runs.Status | ForEach-Object ToString | Sort-Object -Unique)
    $result.Apps = @(Get-VppLicensedApp).Count
    New-VppGroup -Name 'Cart A' -Kind Device | Out-Null
    1..3 | ForEach-Object { [pscustomobject]@{ SerialNumber = 'DMPINST{0:D5}' -f $_ } } | Add-VppGroupMember -Group 'Cart A'
    $result.Members = @(Get-VppGroupMember -Group 'Cart A').Count
    Set-VppAssignment -App Keynote -Token 'Riverside High School' -Group 'Cart A' -Intent Required | Out-Null
    $result.Assignments = @(Get-VppAssignment -Group 'Cart A').Count
    $result.LicensesGiven = @(Get-VppLicense -App Keynote -Token 'Riverside High School' | Where-Object { $_.Target -like 'DMPINST*' -and $_.AssignedByVppPS }).Count
    $report = Export-VppLicenseReport -Path ./licenses.html -PassThru
    $result.Report = $report.FullName
    $result.ReportHasKeynote = (Get-Content -Raw $report.FullName) -like '*Keynote*'
}
finally { Stop-VppSimulator }
$result.SimulatorsAfterStop = @(Get-Process -Id $result.SimulatorProcessId -ErrorAction Ignore).Count
$result.DataFolder = (Get-VppConfiguration).DataFolder
'RESULT ' + ($result | ConvertTo-Json -Compress)
'@
        $repoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
        # A fresh pwsh: HOME in TestDrive, another working folder, and only the fresh module folder
        # (pwsh adds its own built-in modules) on PSModulePath; nothing of this test run inherited.
        $environment = @{
            HOME                  = $userHome.FullName
            PSModulePath          = $Modules
            XDG_DATA_HOME         = $null
            XDG_CONFIG_HOME       = $null
            XDG_CACHE_HOME        = $null
            VPPPS_HOME            = $null
            VPPPS_TEST_MODULE     = $null
            VPPPS_TEST_PACKAGES   = $null
            VPPPS_CRONTAB_COMMAND = $null
            VPPPS_TEST_REPOSITORY = $repository.FullName
            VPPPS_TEST_NUPKG      = (Join-Path $incoming (Split-Path $Nupkg -Leaf))
            VPPPS_TEST_REPO_ROOT  = $repoRoot
        }
        $run = Invoke-TestPwsh -Script "& '$($Child.Replace("'", "''"))'" -Environment $environment -WorkingDirectory $work.FullName -TimeoutSeconds 300
        $line = ($run.Output -split "`n") | Where-Object { $_.StartsWith('RESULT ') } | Select-Object -Last 1
        if ($run.ExitCode -ne 0 -or -not $line) { throw "The fresh pwsh failed (exit code $($run.ExitCode)):`n$($run.Output)`n$($run.Errors)" }
        $script:Result = $line.Substring(7) | ConvertFrom-Json
        $script:RepoRoot = $repoRoot
    }

    It 'starts with no VppPS available and nothing of the repository on PSModulePath' {
        $Result.AvailableBefore | Should -Be 0
        $Result.PathHasRepository | Should -BeNullOrEmpty
    }

    It 'finds and installs the published package into the fresh module folder' {
        $Result.Found | Should -Be $Version
        $Result.ModuleVersion | Should -Be $Version
        $Result.ModuleBase | Should -Be (Join-Path $Modules "VppPS/$Version")
        Test-Path (Join-Path $Modules "VppPS/$Version/VppPS.psd1") | Should -BeTrue
        $Result.LoadedFromRepository | Should -Be 0
    }

    It 'imports VppPS by name when a cmdlet runs (autoload)' {
        $Result.TokensBefore | Should -Be 0
    }

    It 'runs the simulator, a sync, a group assignment and a report from the installed copy' {
        $Result.Tokens | Should -BeGreaterThan 1
        $Result.SyncStatuses | Should -Be 'completed'
        $Result.Apps | Should -BeGreaterThan 0
        $Result.Members | Should -Be 3
        $Result.Assignments | Should -Be 1
        $Result.LicensesGiven | Should -Be 3
        $Result.Report | Should -Be (Join-Path $TestDrive 'work/licenses.html')
        $Result.ReportHasKeynote | Should -BeTrue
    }

    It 'keeps its state in the new user''s default data folder and stops the simulator' {
        $Result.DataFolder | Should -BeLike "$(Join-Path $TestDrive 'home')*"
        $Result.SimulatorsAfterStop | Should -Be 0
    }
}
