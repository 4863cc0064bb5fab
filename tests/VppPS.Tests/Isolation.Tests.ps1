BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
}
AfterAll { Stop-TestChildren; Remove-TestHome }

Describe 'Dependency isolation' {
    It 'imports and uses SQLite after another assembly loaded Microsoft.IdentityModel.Abstractions 6.x' {
        $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
        $old = Join-Path $packages 'microsoft.identitymodel.abstractions/6.35.0/lib/netstandard2.0/Microsoft.IdentityModel.Abstractions.dll'
        Test-Path $old | Should -BeTrue -Because 'PesterRestore.csproj downloads it'
        $home_ = New-TestHome
        $result = Invoke-TestPwsh -Environment @{ VPPPS_HOME = $home_ } -Script @"
`$ErrorActionPreference = 'Stop'
Add-Type -Path '$old'
`$loaded = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'Microsoft.IdentityModel.Abstractions' }
'default-context:' + `$loaded.GetName().Version
Import-Module `$env:VPPPS_TEST_MODULE
'integrity:' + (Test-VppDatabase).IntegrityCheck
"@
        $result.Errors | Should -BeNullOrEmpty
        $result.Output | Should -Match 'default-context:6\.35'
        $result.Output | Should -Match 'integrity:ok'
        $result.ExitCode | Should -Be 0
    }
}
