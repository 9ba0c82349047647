# Windows twin of scripts/build_bundle.sh: build dist\ganime\ with PyInstaller from a separate
# environment without TensorFlow (.venv-build\), print its size, run its self-test.
#
# Usage (PowerShell, from anywhere):
#   powershell -ExecutionPolicy Bypass -File scripts\build_bundle.ps1 [selftest args...]
# Env: PYTHON (default: "py -3.11" when the py launcher exists, else "python"),
#      GANIME_BUNDLE_CUDA=0 for a CPU-only bundle, GANIME_SKIP_SELFTEST=1 to stop after the build.
# Exit: 0 built (and self-test passed), 3 the build environment could not be set up, else failed.
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")
$PyInstallerVersion = "6.22.3"
$venv = ".venv-build"
$venvPython = Join-Path $venv "Scripts\python.exe"

function Fail-Setup([string]$why) {
    Write-Error "cannot set up ${venv}: $why" -ErrorAction Continue
    exit 3
}

if (-not (Test-Path $venvPython)) {
    $pyArgs = @()
    if ($env:PYTHON) { $pyExe = $env:PYTHON }
    elseif (Get-Command py -ErrorAction SilentlyContinue) { $pyExe = "py"; $pyArgs = @("-3.11") }
    else { $pyExe = "python" }
    Write-Host "Creating $venv with $pyExe $pyArgs"
    & $pyExe @pyArgs -m venv $venv
    if ($LASTEXITCODE -ne 0) { Fail-Setup "python -m venv failed" }
}

# What is installed: sha256 of pyproject.toml + PyInstaller version; reinstall when it changes.
$stamp = Join-Path $venv ".ganime-installed"
$want = "$((Get-FileHash pyproject.toml -Algorithm SHA256).Hash.ToLower()) pyinstaller==$PyInstallerVersion"
$have = if (Test-Path $stamp) { (Get-Content $stamp -Raw).Trim() } else { "" }
if ($have -ne $want) {
    Write-Host "Installing the app's dependencies and pyinstaller==$PyInstallerVersion into $venv"
    & $venvPython -m pip install --quiet --upgrade pip
    if ($LASTEXITCODE -ne 0) { Fail-Setup "pip cannot reach the package registry" }
    # ".": the app's runtime dependencies and version metadata; no extras (no TensorFlow here).
    & $venvPython -m pip install --quiet . "pyinstaller==$PyInstallerVersion"
    if ($LASTEXITCODE -ne 0) { Fail-Setup "pip install failed (see above)" }
    foreach ($banned in @("tensorflow", "tensorflow-cpu", "keras", "tf2onnx", "torch")) {
        & $venvPython -m pip show --quiet $banned 2>$null
        if ($LASTEXITCODE -eq 0) { Write-Error "$banned got into $venv; delete $venv and check pyproject's dependencies" }
    }
    Set-Content -Path $stamp -Value $want
}

Write-Host "Building dist\ganime\ with PyInstaller $PyInstallerVersion"
$start = Get-Date
& (Join-Path $venv "Scripts\pyinstaller.exe") --noconfirm --log-level WARN --workpath build\pyinstaller --distpath dist build.spec
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
Write-Host ("Build took {0:N0} s" -f ((Get-Date) - $start).TotalSeconds)
$bytes = (Get-ChildItem dist\ganime -Recurse -File | Measure-Object Length -Sum).Sum
Write-Host ("Bundle size: {0:N0} MiB  (dist\ganime)" -f ($bytes / 1MB))

if ($env:GANIME_SKIP_SELFTEST -ne "1") {
    Write-Host "Self-test of the frozen app:"
    & dist\ganime\ganime.exe --selftest @args
    exit $LASTEXITCODE
}
