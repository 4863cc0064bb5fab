BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:HomeBefore = $env:VPPPS_HOME
    $env:VPPPS_HOME = New-TestHome

    # A runspace of this process with VppPS imported, as a runbook job or a thread job has.
    function New-Job_ {
        $runspace = [runspacefactory]::CreateRunspace()
        $runspace.Open()
        $null = Invoke-In $runspace 'Import-Module $env:VPPPS_TEST_MODULE'
        $runspace
    }
    function Invoke-In($Runspace, [string] $Script) {
        $shell = [powershell]::Create()
        try {
            $shell.Runspace = $Runspace
            $null = $shell.AddScript($Script)
            $out = $shell.Invoke()
            if ($shell.Streams.Error.Count) { throw "in the runspace: $($shell.Streams.Error[0])" }
            $out
        } finally { $shell.Dispose() }
    }
    function Test-Running([int] $ProcessId) { $null -ne (Get-Process -Id $ProcessId -ErrorAction Ignore) }
}
AfterAll { $env:VPPPS_HOME = $HomeBefore; Remove-TestHome }

Describe 'Two runbook jobs in one process' {
    It 'each keep their own simulator and service URL' {
        $a = New-Job_; $b = New-Job_
        $started = @()
        try {
            $simA = Invoke-In $a 'Start-VppSimulator'
            $simB = Invoke-In $b 'Start-VppSimulator'
            $started = $simA, $simB
            $simA.ServiceUrl | Should -Not -Be $simB.ServiceUrl

            $configA = Invoke-In $a 'Get-VppConfiguration'
            $configB = Invoke-In $b 'Get-VppConfiguration'
            $configA.ServiceUrl | Should -Be $simA.ServiceUrl
            $configA.Sources['ServiceUrl'] | Should -Be 'Session'
            $configB.ServiceUrl | Should -Be $simB.ServiceUrl
            $configB.Sources['ServiceUrl'] | Should -Be 'Session'
            # A third job that started none talks to Apple.
            $c = New-Job_
            try { (Invoke-In $c 'Get-VppConfiguration').Sources['ServiceUrl'] | Should -Not -Be 'Session' } finally { $c.Dispose() }

            # Stop-VppSimulator in B stops B's simulator only, and puts B's URL back only.
            Invoke-In $b 'Stop-VppSimulator'
            Test-Running $simB.ProcessId | Should -BeFalse
            Test-Running $simA.ProcessId | Should -BeTrue
            (Invoke-In $b 'Get-VppConfiguration').Sources['ServiceUrl'] | Should -Not -Be 'Session'
            (Invoke-In $a 'Get-VppConfiguration').ServiceUrl | Should -Be $simA.ServiceUrl

            Invoke-In $a 'Stop-VppSimulator'
            Test-Running $simA.ProcessId | Should -BeFalse
            (Invoke-In $a 'Get-VppConfiguration').Sources['ServiceUrl'] | Should -Not -Be 'Session'

            # A job that ends (its runspace closes) stops the simulators it left running.
            $again = Invoke-In $b 'Start-VppSimulator'
            $started += $again
            $b.Close()
            Test-Running $again.ProcessId | Should -BeFalse
            Test-Path $again.TokenDirectory | Should -BeFalse
        }
        finally {
            foreach ($runspace in $a, $b) {
                if ($runspace.RunspaceStateInfo.State -eq 'Opened') { try { Invoke-In $runspace 'Stop-VppSimulator' } catch { } }
                $runspace.Dispose()
            }
            foreach ($simulator in $started) {
                if ($simulator.ProcessId) { Stop-Process -Id $simulator.ProcessId -Force -ErrorAction Ignore }
                Remove-Item -LiteralPath $simulator.TokenDirectory -Recurse -Force -ErrorAction Ignore
            }
        }
    }
}
