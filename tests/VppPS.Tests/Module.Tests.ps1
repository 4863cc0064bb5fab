BeforeDiscovery {
    # The -ForEach lists below are built at discovery time, so the module must be loaded then.
    Import-Module $env:VPPPS_TEST_MODULE -Force
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = Get-TestModulePath
    $script:ModuleFolder = Split-Path $ModulePath
    $env:VPPPS_HOME = New-TestHome
    Import-Module $ModulePath -Force
    $script:Manifest = Import-PowerShellDataFile $ModulePath
    $script:Commands = Get-Command -Module VppPS
}
AfterAll { Remove-TestHome }

Describe 'The laid-out module' {
    It 'declares PowerShell 7.4, Core edition, and exports its cmdlets by name' {
        $Manifest.PowerShellVersion | Should -Be '7.4'
        $Manifest.CompatiblePSEditions | Should -Be @('Core')
        $Manifest.CmdletsToExport | Should -Not -Contain '*'
        ($Commands | Where-Object CommandType -eq 'Cmdlet').Name | Sort-Object | Should -Be ($Manifest.CmdletsToExport | Sort-Object)
    }

    It 'keeps the engine and its dependencies out of the module root' {
        Test-Path (Join-Path $ModuleFolder 'VppPS.dll') | Should -BeTrue
        Test-Path (Join-Path $ModuleFolder 'VppPS.Engine.dll') | Should -BeFalse
        Test-Path (Join-Path $ModuleFolder 'Microsoft.Data.Sqlite.dll') | Should -BeFalse
        foreach ($dll in 'VppPS.Engine.dll', 'Microsoft.Data.Sqlite.dll', 'Polly.Core.dll', 'System.IdentityModel.Tokens.Jwt.dll') {
            Test-Path (Join-Path $ModuleFolder "Dependencies/$dll") | Should -BeTrue -Because "$dll ships in Dependencies"
        }
    }

    It 'ships native SQLite for <_>' -ForEach 'linux-x64', 'linux-arm64', 'osx-x64', 'osx-arm64', 'win-x64' {
        $native = Join-Path $ModuleFolder "Dependencies/runtimes/$_/native"
        (Get-ChildItem $native -File | Where-Object Name -match 'e_sqlite3').Count | Should -BeGreaterThan 0
    }

    It 'loads the engine into its own AssemblyLoadContext' {
        $null = Get-VppConfiguration
        $engine = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'VppPS.Engine' }
        $engine | Should -HaveCount 1
        [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($engine).Name | Should -Be 'VppPS'
    }
}

Describe 'Every cmdlet' {
    It '<_.Name> declares its output type' -ForEach @(Get-Command -Module VppPS) {
        $_.OutputType | Should -Not -BeNullOrEmpty
    }

    # New-VppStoreKey only prints a random key: it changes nothing. Copy-VppState has -WhatIf too.
    It '<_.Name> supports -WhatIf when it changes state' -ForEach @(Get-Command -Module VppPS | Where-Object Verb -in 'Add', 'Set', 'Remove', 'Update', 'Sync', 'New', 'Register', 'Unregister', 'Import', 'Start', 'Stop', 'Copy' | Where-Object Name -ne 'New-VppStoreKey') {
        $_.Parameters.Keys | Should -Contain 'WhatIf'
    }

    # Help (syntax, parameters, inputs, outputs, links, width, examples): Help.Tests.ps1.
}
